#!/usr/bin/env bash
# Two hosts, one lattice: starts a NATS server on a free loopback port, then
# `airssys run` of pong-host.toml and of ping-host.toml. ping (on one host)
# requests of pong (on the other) by name, as if it were local; the answers
# come back to ping's callbacks, and one request times out as in the
# one-host ping-pong.
#
#   bash examples/lattice/run.sh
#
# Set AIRSSYS to an `airssys` binary, and PING_WASM and PONG_WASM to built
# components, to skip the builds.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ -z "${AIRSSYS:-}" ]]; then
  cargo build --quiet -p airssys-wasm --features cli
  AIRSSYS=target/debug/airssys
fi
workdir=$(mktemp -d)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$workdir"' EXIT

if [[ -z "${PING_WASM:-}" || -z "${PONG_WASM:-}" ]]; then
  if command -v rustup >/dev/null &&
    ! rustup target list --installed | grep -x wasm32-wasip2 >/dev/null; then
    rustup target add wasm32-wasip2
  fi
  cargo build --quiet --release --target wasm32-wasip2 -p ping -p pong
  PING_WASM=$PWD/target/wasm32-wasip2/release/ping.wasm
  PONG_WASM=$PWD/target/wasm32-wasip2/release/pong.wasm
fi
# The manifests as they are, pointed at the components built above.
sed "s|wasm = .*pong.wasm\"|wasm = \"$PONG_WASM\"|" examples/lattice/pong-host.toml >"$workdir/pong-host.toml"
sed "s|wasm = .*ping.wasm\"|wasm = \"$PING_WASM\"|" examples/lattice/ping-host.toml >"$workdir/ping-host.toml"

nats_server=$(bash examples/lattice/nats-server.sh)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$nats_server" -a 127.0.0.1 -p "$port" >"$workdir/nats.log" 2>&1 &
pids+=($!)
until (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.05; done
nats="nats://127.0.0.1:$port"

echo "\$ airssys run pong-host.toml --lattice demo --nats $nats &"
"$AIRSSYS" run "$workdir/pong-host.toml" --lattice demo --nats "$nats" >"$workdir/pong.log" 2>&1 &
pids+=($!)
until grep -q "airssys: started" "$workdir/pong.log"; do
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$workdir/pong.log"; exit 1; }
  sleep 0.05
done

echo "\$ airssys run ping-host.toml --lattice demo --nats $nats --max-ms 3000"
"$AIRSSYS" run "$workdir/ping-host.toml" --lattice demo --nats "$nats" --max-ms 3000 || true
echo "--- what the pong host printed ---"
cat "$workdir/pong.log"
