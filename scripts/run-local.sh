#!/usr/bin/env bash
# `make run`: the proxy on 127.0.0.1:8000 (admin :8081) over the embedded SQLite table store in
# ./data (Config/dynacache.yaml). With UPSTREAM=moto, a local moto_server is the table store
# instead, started here and stopped again when the proxy exits (Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
MOTO_PORT=${MOTO_PORT:-5000}
UPSTREAM=${UPSTREAM:-embedded}

args=(--config Config/dynacache.yaml)
moto_pid=""
if [ "$UPSTREAM" = "moto" ]; then
  if ! curl -s -o /dev/null "http://127.0.0.1:${MOTO_PORT}/moto-api/"; then
    mkdir -p .run
    "$PYTHON" -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" > .run/moto.log 2>&1 &
    moto_pid=$!
    for _ in $(seq 1 100); do
      curl -s -o /dev/null "http://127.0.0.1:${MOTO_PORT}/moto-api/" && break
      sleep 0.1
    done
    echo "run: moto_server on 127.0.0.1:${MOTO_PORT} (log .run/moto.log)"
  fi
  args+=(--upstream "http://127.0.0.1:${MOTO_PORT}")
fi
trap '[ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null || true' EXIT

echo "run: dynacache on 127.0.0.1:8000 (admin 127.0.0.1:8081), table store: ${UPSTREAM}; Ctrl-C stops"
.build/debug/dynacache serve "${args[@]}" "$@"
