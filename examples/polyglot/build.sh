#!/usr/bin/env bash
# Builds the polyglot system's three components into target/polyglot/
# (rust.wasm with cargo, python.wasm with componentize-py, js.wasm with
# componentize-js), where polyglot.toml finds them whatever
# CARGO_TARGET_DIR says. The Python and JavaScript toolchains are installed
# at pinned versions, once, under the user's cache directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/polyglot"
mkdir -p "$out"

source "$here/toolchains.sh"
componentize_py="$(componentize_py)"
componentize_js="$(componentize_js "$here/js")"

cargo build --quiet --release --target wasm32-wasip2 -p polyglot-rust --manifest-path "$root/Cargo.toml"
cp "${CARGO_TARGET_DIR:-$root/target}/wasm32-wasip2/release/polyglot_rust.wasm" "$out/rust.wasm"

# componentize-py imports app.py from the working directory; its bytecode
# cache stays out of the checkout.
(cd "$here/python" && PYTHONDONTWRITEBYTECODE=1 "$componentize_py" -d "$root/wit" -w plugin \
    componentize app -o "$out/python.wasm" > /dev/null)

# componentize-js reads the WIT relative to the working directory.
(cd "$root" && node "$componentize_js" examples/polyglot/js/app.js --wit wit \
    --world-name plugin --disable http --disable fetch-event -o "$out/js.wasm" > /dev/null)

echo "polyglot: built rust.wasm, python.wasm and js.wasm in $out"
