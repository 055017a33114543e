#!/usr/bin/env bash
# The load tests' benchmark (`make bench-load`): the default seed scenario against `dynacache
# store --latency 5` (a remote DynamoDB's round trip) and against the proxy in front of it, back
# to back in one run, with the coherence check beside the proxy run. Release builds; the report
# goes to $REPORT (default .run/results/default-proxy-vs-store, ignored by git: the committed
# reference report in LoadTests/results/ changes only when someone copies a new run there).
# Open loop at $RATE scenario steps/s (default 1500, which both endpoints sustain here), so the
# latencies compare at the same offered load; RATE=0 runs a closed loop of $CONCURRENCY workers
# instead (throughput; on 2 shared cores it mostly measures who gets the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-5s}
CONCURRENCY=${CONCURRENCY:-32}
RATE=${RATE:-1500}
LATENCY=${LATENCY:-5}
REPORT=${REPORT:-.run/results/default-proxy-vs-store}
. scripts/bench-lib.sh
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

start_redis_and_store bench-load
kill "${pids[-1]}"; sleep 0.3  # the store again, with its latency
.build/release/dynacache store --listen "127.0.0.1:$STORE" --data .run/bench-load --latency "$LATENCY" \
  > .run/bench-load-store.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$STORE/"
.build/release/dynacache seed --endpoint "http://127.0.0.1:$STORE" --profile small 2>/dev/null
start_bench_proxy Config/dynacache.yaml

if [ "$RATE" = "0" ]; then
  mode=(--concurrency "$CONCURRENCY"); echo "load: default scenario, closed loop x$CONCURRENCY, $DURATION (+$WARMUP warm-up) each; store latency ${LATENCY} ms"
else
  mode=(--rate "$RATE" --concurrency 512); echo "load: default scenario, open loop $RATE steps/s, $DURATION (+$WARMUP warm-up) each; store latency ${LATENCY} ms"
fi
.build/release/dynacache-load --scenario default "${mode[@]}" \
  --compare "store=http://127.0.0.1:$STORE" "proxy=$PROXY_URL" --admin "proxy=$ADMIN_URL" \
  --duration "$DURATION" --warmup "$WARMUP" \
  ${COHERENCE:---coherence --direct http://127.0.0.1:$STORE} --report "$REPORT"
