#!/usr/bin/env bash
# The plugin author's loop with `airssys run --watch`: start a system, then
# rebuild its plugin and see the running system answer with the new build,
# without a restart.
#
#   bash examples/live-upgrade/run.sh
#
# Set AIRSSYS to an `airssys` binary to skip building it.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ -z "${AIRSSYS:-}" ]]; then
  cargo build --quiet -p airssys-wasm --features cli
  AIRSSYS=target/debug/airssys
fi
# Plugins are built for this target; a fresh toolchain may lack it.
if command -v rustup >/dev/null &&
  ! rustup target list --installed | grep -x wasm32-wasip2 >/dev/null; then
  rustup target add wasm32-wasip2
fi
# The test fixtures' guest build directory: its dependencies are built.
guests="${CARGO_TARGET_DIR:-target}/airssys-guests"
workdir=$(mktemp -d)
run=
trap '[[ -n "$run" ]] && kill "$run" 2>/dev/null; rm -rf "$workdir"' EXIT

# Builds the greeter saying $1, and puts it where the manifest points the
# way a build does: written beside it, then renamed over it.
build_greeter() {
  # The outer build's flags and wrappers (as under `cargo test`) are for
  # the host's crates, not for a plugin.
  env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER \
    GREETING="$1" CARGO_TARGET_DIR="$guests" \
    "${CARGO:-cargo}" build --quiet --release --target wasm32-wasip2 -p greeter
  cp "$guests/wasm32-wasip2/release/greeter.wasm" "$workdir/greeter.wasm.next"
  mv "$workdir/greeter.wasm.next" "$workdir/greeter.wasm"
}

# Waits until the run's output says $1 (giving up after two minutes).
wait_for() {
  local give_up=$((SECONDS + 120))
  until grep -qF "$1" "$workdir/run.log"; do
    if ! kill -0 "$run" 2>/dev/null || ((SECONDS > give_up)); then
      echo "no \"$1\" from the run:" >&2
      cat "$workdir/run.log" >&2
      exit 1
    fi
    sleep 0.1
  done
}

build_greeter hello
cat >"$workdir/live.toml" <<'TOML'
[[component]]
name = "greeter"
wasm = "greeter.wasm"
TOML
export AIRSSYS_CONTROL="$workdir/control.sock"
"$AIRSSYS" run "$workdir/live.toml" --watch --control "$AIRSSYS_CONTROL" >"$workdir/run.log" &
run=$!
wait_for "listening on"

echo "\$ airssys request greeter world"
"$AIRSSYS" request greeter world
echo "\$ GREETING=bonjour cargo build --release --target wasm32-wasip2 -p greeter   # and copy it over"
build_greeter bonjour
wait_for "greeter upgraded to generation 2"
echo "\$ airssys request greeter world"
"$AIRSSYS" request greeter world
echo "\$ airssys stop"
"$AIRSSYS" stop
wait "$run"
run=
echo "--- what the running system printed ---"
cat "$workdir/run.log"
