#!/usr/bin/env bash
# Builds the polyglot system's three components into target/:
#   target/wasm32-wasip2/release/polyglot_rust.wasm  (cargo)
#   target/polyglot/python.wasm                      (componentize-py)
#   target/polyglot/js.wasm                          (componentize-js)
# The Python and JavaScript toolchains are installed at pinned versions,
# once, under the user's cache directory (nothing global is touched).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/polyglot"
mkdir -p "$out"

source "$here/toolchains.sh"

cargo build --quiet --release --target wasm32-wasip2 -p polyglot-rust --manifest-path "$root/Cargo.toml"

# componentize-py imports app.py from the working directory; its bytecode
# cache stays out of the checkout.
(cd "$here/python" && PYTHONDONTWRITEBYTECODE=1 "$(componentize_py)" -d "$root/wit" -w plugin \
    componentize app -o "$out/python.wasm" > /dev/null)

# componentize-js reads the WIT relative to the working directory.
(cd "$root" && "$(componentize_js "$here/js")" examples/polyglot/js/app.js --wit wit \
    --world-name plugin --disable http --disable fetch-event -o "$out/js.wasm" > /dev/null)

echo "polyglot: built $out/python.wasm, $out/js.wasm and polyglot_rust.wasm"
