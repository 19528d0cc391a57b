#!/usr/bin/env bash
# Builds {{crate_name}}.wasm from app.js with componentize-js, installed at
# the version package-lock.json pins, once, under the user's cache directory.
set -euo pipefail
cd "$(dirname "$0")"

version="$(sed -n 's/.*"@bytecodealliance\/componentize-js": "\(.*\)".*/\1/p' package.json)"
prefix="${XDG_CACHE_HOME:-$HOME/.cache}/airssys/toolchains/componentize-js-$version"
# Installed once finished (the marker is written last); an interrupted
# install is made again.
if [ ! -e "$prefix/.installed" ]; then
    echo "installing componentize-js $version into $prefix" >&2
    rm -rf "$prefix"
    mkdir -p "$prefix"
    cp package.json package-lock.json "$prefix/"
    (cd "$prefix" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$prefix/.installed"
fi

# The contract the host speaks.
if [ ! -d wit ]; then
    {% if airssys_source == "" or airssys_source contains "://" or airssys_source contains "git@" %}command -v airssys > /dev/null || {
        echo "no wit/ here and no airssys on PATH: install it (cargo install --path <airssys-wasm checkout>/host --features cli), or copy an airssys-wasm checkout's wit/ here" >&2
        exit 1
    }
    airssys wit --dir wit{% else %}cp -R "{{airssys_source}}/wit" wit{% endif %}
fi

# --disable http and fetch-event: no HTTP handler export, no unused wasi:http imports.
# The package's own CLI (jco's older componentize-js also names that command).
node "$prefix/node_modules/@bytecodealliance/componentize-js/src/cli.js" app.js --wit wit --world-name plugin \
    --disable http --disable fetch-event -o {{crate_name}}.wasm > /dev/null
echo "built {{crate_name}}.wasm"
