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
BIN=.build/release
. scripts/bench-lib.sh
ensure_wrk

REDIS=$(free_port); STORE=$(free_port); P1=$(free_port); A1=$(free_port); P2=$(free_port); A2=$(free_port)
pids=()
mkdir -p .run
rm -rf .run/bench-l1-data
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

redis-server --bind 127.0.0.1 --port "$REDIS" --save '' --appendonly no > .run/bench-redis.log 2>&1 & pids+=($!)
$BIN/dynacache store --listen "127.0.0.1:$STORE" --data .run/bench-l1-data > .run/bench-store.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$STORE/"
# staleTime long enough that every request in the run is a hit once filled
printf 'cache:\n  default:\n    staleTime: 600000\n  l1:\n    maxBytes: %s\n    ttlMs: 600000\n' "$L1_BYTES" > .run/bench-l1.yaml
$BIN/dynacache serve --config .run/bench-l1.yaml --upstream "http://127.0.0.1:$STORE" --redis "redis://127.0.0.1:$REDIS" \
  --listen "127.0.0.1:$P1" --admin-listen "127.0.0.1:$A1" --log-level warning > .run/bench-l1-proxy.log 2>&1 & pids+=($!)
L1_PID=$!
DYNACACHE_L1_MAX_BYTES=0 $BIN/dynacache serve --config .run/bench-l1.yaml --upstream "http://127.0.0.1:$STORE" \
  --redis "redis://127.0.0.1:$REDIS" --listen "127.0.0.1:$P2" --admin-listen "127.0.0.1:$A2" --log-level warning \
  > .run/bench-redis-proxy.log 2>&1 & pids+=($!)
REDIS_PID=$!
wait_http "http://127.0.0.1:$A1/health"
wait_http "http://127.0.0.1:$A2/health"

"$PYTHON" - "http://127.0.0.1:$STORE" "$KEYS" <<'PY'
import sys, boto3
url, n = sys.argv[1], int(sys.argv[2])
c = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b")
c.create_table(TableName="Users", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
for start in range(0, n, 25):
    c.batch_write_item(RequestItems={"Users": [{"PutRequest": {"Item": {
        "pk": {"S": f"k{i}"}, "name": {"S": f"user number {i}"}, "email": {"S": f"user{i}@example.com"},
        "bio": {"S": "x" * 200}, "age": {"N": str(i % 90)}}}} for i in range(start, min(n, start + 25))]})
PY

cat > .run/zipf.lua <<LUA
local n, s = $KEYS, $ZIPF_S
local cdf, total = {}, 0
for i = 1, n do total = total + 1 / (i ^ s); cdf[i] = total end
math.randomseed(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"
request = function()
  local r, lo, hi = math.random() * total, 1, n
  while lo < hi do local mid = math.floor((lo + hi) / 2); if cdf[mid] < r then lo = mid + 1 else hi = mid end end
  return wrk.format(nil, nil, nil, '{"TableName":"Users","Key":{"pk":{"S":"k' .. (lo - 1) .. '"}}}')
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.0f %.0f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
LUA

stat() { curl -s "http://127.0.0.1:$1/stats"; }
echo "keys: $KEYS, Zipf s=$ZIPF_S, L1 bound $L1_BYTES bytes, wrk -t1 -c$CONNECTIONS, ${DURATION}s per run"
# warm both: fill Redis (shared) and L1
wrk -t1 -c"$CONNECTIONS" -d3s -s .run/zipf.lua "http://127.0.0.1:$P1/" > /dev/null
wrk -t1 -c"$CONNECTIONS" -d3s -s .run/zipf.lua "http://127.0.0.1:$P2/" > /dev/null
before=$(stat "$A1")
for round in 1 2; do
  l1=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s .run/zipf.lua "http://127.0.0.1:$P1/" | awk '/^RESULT/ {print $2, $3, $4, $5}')
  rd=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s .run/zipf.lua "http://127.0.0.1:$P2/" | awk '/^RESULT/ {print $2, $3, $4, $5}')
  "$PYTHON" - "$round" $l1 $rd <<'PY'
import sys
r, lr, lp50, lp99, lerr, rr, rp50, rp99, rerr = sys.argv[1:]
lr, lp50, lp99, rr, rp50, rp99 = map(float, (lr, lp50, lp99, rr, rp50, rp99))
print(f"round {r}: L1+Redis {lr:8.0f} req/s p50 {lp50:5.0f} us p99 {lp99:6.0f} us (non-2xx {lerr}) | "
      f"Redis only {rr:8.0f} req/s p50 {rp50:5.0f} us p99 {rp99:6.0f} us (non-2xx {rerr})")
print(f"         L1 / Redis-only throughput {lr/rr:.2f}x, p50 {lp50/rp50:.2f}x")
PY
done
after=$(stat "$A1")
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
echo "peak RSS: L1 proxy $(awk '/VmHWM/ {print $2, $3}' /proc/$L1_PID/status), Redis-only proxy $(awk '/VmHWM/ {print $2, $3}' /proc/$REDIS_PID/status)"
