# The Python and JavaScript component toolchains at pinned versions,
# installed only if missing, under the user's cache directory. Sourced by
# build scripts: `componentize_py` and `componentize_js DIR` print the path
# of the tool (DIR holds the package.json and package-lock.json to install).

COMPONENTIZE_PY_VERSION=0.25.1
toolchains="${XDG_CACHE_HOME:-$HOME/.cache}/airssys/toolchains"

componentize_py() {
    local venv="$toolchains/componentize-py-$COMPONENTIZE_PY_VERSION"
    if [ ! -x "$venv/bin/componentize-py" ]; then
        echo "installing componentize-py $COMPONENTIZE_PY_VERSION into $venv" >&2
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            "componentize-py==$COMPONENTIZE_PY_VERSION" >&2
    fi
    echo "$venv/bin/componentize-py"
}

componentize_js() {
    local lock="$1/package-lock.json"
    local version
    version="$(sed -n 's/.*"@bytecodealliance\/componentize-js": "\(.*\)".*/\1/p' "$1/package.json")"
    local prefix="$toolchains/componentize-js-$version"
    if [ ! -x "$prefix/node_modules/.bin/componentize-js" ]; then
        echo "installing componentize-js $version into $prefix" >&2
        mkdir -p "$prefix"
        cp "$1/package.json" "$lock" "$prefix/"
        (cd "$prefix" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
    echo "$prefix/node_modules/.bin/componentize-js"
}
