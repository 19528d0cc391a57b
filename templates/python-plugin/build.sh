#!/usr/bin/env bash
# Builds {{crate_name}}.wasm from app.py with componentize-py, installed at
# a pinned version, once, under the user's cache directory.
set -euo pipefail
cd "$(dirname "$0")"

version=0.25.1
venv="${XDG_CACHE_HOME:-$HOME/.cache}/airssys/toolchains/componentize-py-$version"
# Installed once finished (the marker is written last); an interrupted
# install is made again.
if [ ! -e "$venv/.installed" ]; then
    echo "installing componentize-py $version into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$version"
    touch "$venv/.installed"
fi

# The contract the host speaks.
if [ ! -d wit ]; then
    {% if airssys_source == "" or airssys_source contains "://" or airssys_source contains "git@" %}command -v airssys > /dev/null || {
        echo "no wit/ here and no airssys on PATH: install it (cargo install --path <airssys-wasm checkout>/host --features cli), or copy an airssys-wasm checkout's wit/ here" >&2
        exit 1
    }
    airssys wit --dir wit{% else %}cp -R "{{airssys_source}}/wit" wit{% endif %}
fi

PYTHONDONTWRITEBYTECODE=1 "$venv/bin/componentize-py" -d wit -w plugin \
    componentize app -o {{crate_name}}.wasm > /dev/null
echo "built {{crate_name}}.wasm"
