#!/usr/bin/env bash
# Write batching's `sendWhenIdle`, same run: two proxies over one `dynacache store --latency 5`,
# one with it off (every write waits for the 2 ms window), one with it on (a write to a table
# with no batch out goes at once); dynacache-load --compare with the write-only append-message
# scenario at $RATE writes/s, then the default scenario at $MIXRATE steps/s.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-100}
MIXRATE=${MIXRATE:-1500}
DURATION=${DURATION:-20s}
. scripts/bench-lib.sh
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
start_redis_and_store bench-idle
kill "${pids[-1]}"; sleep 0.3
.build/release/dynacache store --listen "127.0.0.1:$STORE" --data .run/bench-idle --latency 5 > .run/bench-idle-store.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$STORE/"
.build/release/dynacache seed --endpoint "http://127.0.0.1:$STORE" --profile small 2>/dev/null
start_bench_proxy Config/dynacache.yaml "DYNACACHE_WRITE_SEND_WHEN_IDLE=false"; OFF=$PROXY_URL; OFF_ADMIN=$ADMIN_URL
start_bench_proxy Config/dynacache.yaml "DYNACACHE_WRITE_SEND_WHEN_IDLE=true"; ON=$PROXY_URL; ON_ADMIN=$ADMIN_URL
for run in "append-message $RATE" "default $MIXRATE"; do
  set -- $run
  echo "== $1 at $2/s: window always (off) vs send when idle (on)"
  .build/release/dynacache-load --scenario "$1" --compare "off=$OFF" "on=$ON" --admin "off=$OFF_ADMIN" --admin "on=$ON_ADMIN" \
    --rate "$2" --concurrency 512 --duration "$DURATION" --warmup 3s 2>/dev/null
done
