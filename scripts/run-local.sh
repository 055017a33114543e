#!/usr/bin/env bash
# `make run`: the proxy on 127.0.0.1:8000 (admin :8081) over the embedded SQLite table store in
# ./data (Config/dynacache.yaml), with Redis on 127.0.0.1:6379 for the item cache. With UPSTREAM=moto, a local moto_server is the table store
# instead, started here and stopped again when the proxy exits (Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
MOTO_PORT=${MOTO_PORT:-5000}
UPSTREAM=${UPSTREAM:-embedded}

args=(--config Config/dynacache.yaml)
moto_pid=""
redis_pid=""
# The item cache's Redis (Config/dynacache.yaml: redis://127.0.0.1:6379): started here when
# nothing answers there, without persistence, and stopped again on exit.
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  mkdir -p .run
  redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no > .run/redis.log 2>&1 &
  redis_pid=$!
  echo "run: redis-server on 127.0.0.1:6379 (log .run/redis.log)"
fi
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
trap 'for p in $moto_pid $redis_pid; do kill "$p" 2>/dev/null || true; done' EXIT

# First start: the load tests' seed (small profile) — into ./data, or into moto.
if [ "$UPSTREAM" = "moto" ]; then
  .build/debug/dynacache seed --endpoint "http://127.0.0.1:${MOTO_PORT}" --profile small
elif [ ! -f data/dynacache.sqlite3 ]; then
  .build/debug/dynacache seed --endpoint embedded --data ./data --profile small
fi

echo "run: dynacache on 127.0.0.1:8000 (admin 127.0.0.1:8081), table store: ${UPSTREAM}; Ctrl-C stops"
.build/debug/dynacache serve "${args[@]}" "$@"
