# The Python and JavaScript component toolchains at pinned versions,
# installed only if missing, under the user's cache directory. Sourced by
# build scripts: `componentize_py` and `componentize_js DIR` print the
# command to run (DIR holds the package.json and package-lock.json to
# install). An install counts once it finished (a marker file written last);
# an interrupted one is made again.

COMPONENTIZE_PY_VERSION=0.25.1
toolchains="${XDG_CACHE_HOME:-$HOME/.cache}/airssys/toolchains"

componentize_py() {
    local venv="$toolchains/componentize-py-$COMPONENTIZE_PY_VERSION"
    if [ ! -e "$venv/.installed" ]; then
        echo "installing componentize-py $COMPONENTIZE_PY_VERSION into $venv" >&2
        rm -rf "$venv"
        python3 -m venv "$venv" >&2 || return 1
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            "componentize-py==$COMPONENTIZE_PY_VERSION" >&2 || return 1
        touch "$venv/.installed"
    fi
    echo "$venv/bin/componentize-py"
}

componentize_js() {
    local version
    version="$(sed -n 's/.*"@bytecodealliance\/componentize-js": "\(.*\)".*/\1/p' "$1/package.json")"
    local prefix="$toolchains/componentize-js-$version"
    if [ ! -e "$prefix/.installed" ]; then
        echo "installing componentize-js $version into $prefix" >&2
        rm -rf "$prefix"
        mkdir -p "$prefix" || return 1
        cp "$1/package.json" "$1/package-lock.json" "$prefix/" || return 1
        (cd "$prefix" && npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
        touch "$prefix/.installed"
    fi
    # The package's own CLI: jco depends on an older componentize-js that
    # also names a `componentize-js` command in node_modules/.bin.
    echo "$prefix/node_modules/@bytecodealliance/componentize-js/src/cli.js"
}
