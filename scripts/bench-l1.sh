#!/usr/bin/env bash
# The L1 tier: cache-hit GetItem throughput through a proxy with L1 and one with Redis only, in the
# same run, over one upstream (`dynacache store`) and one Redis; keys drawn from a Zipf
# distribution; L1's hit ratio from /stats; each proxy's peak RSS with the L1 bound set.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DURATION=${DURATION:-8}
KEYS=${KEYS:-10000}
ZIPF_S=${ZIPF_S:-0.99}
L1_BYTES=${L1_BYTES:-1048576}
CONNECTIONS=${CONNECTIONS:-32}
. scripts/bench-lib.sh
ensure_wrk
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

start_redis_and_store bench-l1
# staleTime long enough that every request in the run is a hit once filled
printf 'cache:\n  default:\n    staleTime: 600000\n  l1:\n    maxBytes: %s\n    ttlMs: 600000\n' "$L1_BYTES" > .run/bench-l1.yaml
start_bench_proxy .run/bench-l1.yaml
L1_URL=$PROXY_URL; L1_ADMIN=$ADMIN_URL; L1_PID=$PROXY_PID
start_bench_proxy .run/bench-l1.yaml "DYNACACHE_L1_MAX_BYTES=0"
RD_URL=$PROXY_URL; RD_PID=$PROXY_PID
seed_users "$KEYS"
getitem_lua .run/zipf.lua "$KEYS" "$ZIPF_S"

echo "keys: $KEYS, Zipf s=$ZIPF_S, L1 bound $L1_BYTES bytes, wrk -t1 -c$CONNECTIONS, ${DURATION}s per run"
# warm both: fill Redis (shared) and L1
wrk -t1 -c"$CONNECTIONS" -d3s -s .run/zipf.lua "$L1_URL/" > /dev/null
wrk -t1 -c"$CONNECTIONS" -d3s -s .run/zipf.lua "$RD_URL/" > /dev/null
before=$(curl -s "$L1_ADMIN/stats")
for round in 1 2; do
  l1=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s .run/zipf.lua "$L1_URL/" | awk '/^RESULT/ {print $2, $3, $4, $5}')
  rd=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s .run/zipf.lua "$RD_URL/" | awk '/^RESULT/ {print $2, $3, $4, $5}')
  "$PYTHON" - "$round" $l1 $rd <<'PY'
import sys
r, lr, lp50, lp99, lerr, rr, rp50, rp99, rerr = sys.argv[1:]
lr, lp50, lp99, rr, rp50, rp99 = map(float, (lr, lp50, lp99, rr, rp50, rp99))
print(f"round {r}: L1+Redis {lr:8.0f} req/s p50 {lp50:5.0f} us p99 {lp99:6.0f} us (non-2xx {lerr}) | "
      f"Redis only {rr:8.0f} req/s p50 {rp50:5.0f} us p99 {rp99:6.0f} us (non-2xx {rerr})")
print(f"         L1 / Redis-only throughput {lr/rr:.2f}x, p50 {lp50/rp50:.2f}x")
PY
done
after=$(curl -s "$L1_ADMIN/stats")
"$PYTHON" - "$before" "$after" <<'PY'
import json, sys
b, a = (json.loads(x) for x in sys.argv[1:])
def get(s):
    g = s["tables"]["Users"]["GetItem"]
    return int(g["freshHits"]) + int(g["negativeHits"]) + int(g["misses"]) + int(g["bypass"]) + int(g["staleHits"]), int(s["l1"]["hits"])
(b_total, b_l1), (a_total, a_l1) = get(b), get(a)
l1 = a["l1"]
print(f"L1 hit ratio over the measured rounds: {(a_l1 - b_l1) / max(1, a_total - b_total):.3f} "
      f"({a_l1 - b_l1} of {a_total - b_total} GetItems); L1 holds {l1['entries']} entries, {l1['bytes']} of {l1['maxBytes']} bytes, "
      f"{l1['evictions']} evictions")
PY
echo "peak RSS: L1 proxy $(awk '/VmHWM/ {print $2, $3}' /proc/$L1_PID/status), Redis-only proxy $(awk '/VmHWM/ {print $2, $3}' /proc/$RD_PID/status)"
