#!/usr/bin/env bash
# Drives a running system from the shell: starts the built-in ping-pong demo
# with a control socket, sends it a request and a message, shows a refusal
# and its exit code, then stops it.
#
#   bash examples/control/run.sh
#
# Set AIRSSYS to an `airssys` binary to skip the build.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ -z "${AIRSSYS:-}" ]]; then
  cargo build --quiet -p airssys-wasm --features cli
  AIRSSYS=target/debug/airssys
fi
workdir=$(mktemp -d)
trap 'kill "$run" 2>/dev/null || true; rm -rf "$workdir"' EXIT
export AIRSSYS_CONTROL="$workdir/control.sock"

"$AIRSSYS" run --control "$AIRSSYS_CONTROL" >"$workdir/run.log" &
run=$!
until [[ -S "$AIRSSYS_CONTROL" ]]; do
  kill -0 "$run" 2>/dev/null || { cat "$workdir/run.log"; exit 1; }
  sleep 0.1
done

echo "\$ airssys request pong 'ping 42'"
"$AIRSSYS" request pong "ping 42"
echo "\$ airssys send pong 'ping 7'"
"$AIRSSYS" send pong "ping 7"
echo "\$ airssys request pong hello"
status=0
"$AIRSSYS" request pong hello || status=$?
echo "(exit code $status)"
echo "\$ airssys status"
"$AIRSSYS" status
if command -v curl >/dev/null; then
  # The socket speaks HTTP: any client that can use a Unix socket works.
  echo "\$ curl --unix-socket \$AIRSSYS_CONTROL --data-binary 'ping 9' http://airssys/request/pong"
  curl --silent --show-error --unix-socket "$AIRSSYS_CONTROL" --data-binary 'ping 9' http://airssys/request/pong
  echo
  echo "\$ curl --unix-socket \$AIRSSYS_CONTROL http://airssys/metrics | grep handled_total"
  curl --silent --show-error --unix-socket "$AIRSSYS_CONTROL" http://airssys/metrics | grep handled_total
fi
echo "\$ airssys stop"
"$AIRSSYS" stop
wait "$run"
echo "--- what the running system printed ---"
cat "$workdir/run.log"
