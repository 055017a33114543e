#!/usr/bin/env bash
# `make run`: a local DynamoDB-compatible upstream (moto_server) and the proxy in front of it.
# Stops moto again when the proxy exits (Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
MOTO_PORT=${MOTO_PORT:-5000}

moto_pid=""
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
trap '[ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null || true' EXIT

echo "run: dynacache on 127.0.0.1:8000 (admin 127.0.0.1:8081); Ctrl-C stops both"
.build/debug/dynacache serve --config Config/dynacache.yaml --upstream "http://127.0.0.1:${MOTO_PORT}" "$@"
