#!/usr/bin/env bash
# The write pipeline, same run: PutItems on a hot-key workload (Zipf over $KEYS keys) through a
# proxy that sends each write alone, one that batches, and one that batches and coalesces;
# client writes vs upstream write requests, latency; then goodput on a throttled PROVISIONED
# table. Upstream: `dynacache store` with --latency (a remote DynamoDB's round trip).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DURATION=${DURATION:-6}
KEYS=${KEYS:-100}
CONNECTIONS=${CONNECTIONS:-32}
LATENCY=${LATENCY:-2±0.5}
WCU=${WCU:-300}
. scripts/bench-lib.sh
ensure_wrk
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

start_redis_and_store bench-writes
kill "${pids[-1]}"; sleep 0.3  # the store again, with latency and a one-second burst
DYNACACHE_CAPACITY_BURST_S=1 .build/release/dynacache store --listen "127.0.0.1:$STORE" --data .run/bench-writes \
  --latency "$LATENCY" > .run/bench-writes-store.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$STORE/"
echo '# bench' > .run/bench-writes.yaml
start_bench_proxy .run/bench-writes.yaml "DYNACACHE_WRITE_BATCHING=false"; ALONE=$PROXY_URL; ALONE_ADMIN=$ADMIN_URL
start_bench_proxy .run/bench-writes.yaml "DYNACACHE_WRITE_WINDOW_MS=2"; BATCH=$PROXY_URL; BATCH_ADMIN=$ADMIN_URL
start_bench_proxy .run/bench-writes.yaml "DYNACACHE_WRITE_WINDOW_MS=2 DYNACACHE_WRITE_COALESCE=true"; COAL=$PROXY_URL; COAL_ADMIN=$ADMIN_URL

"$PYTHON" - "http://127.0.0.1:$STORE" "$WCU" <<'PY'
import sys, boto3
url, wcu = sys.argv[1], int(sys.argv[2])
c = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b")
c.create_table(TableName="Hot", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
c.create_table(TableName="Tight", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PROVISIONED",
               ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": wcu})
PY

put_lua() {
  cat > "$1" <<LUA
local n, s = $KEYS, 1.0
local cdf, total = {}, 0
for i = 1, n do total = total + 1 / (i ^ s); cdf[i] = total end
math.randomseed(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.PutItem"
local seq = 0
request = function()
  local r, lo, hi = math.random() * total, 1, n
  while lo < hi do local mid = math.floor((lo + hi) / 2); if cdf[mid] < r then lo = mid + 1 else hi = mid end end
  seq = seq + 1
  return wrk.format(nil, nil, nil, '{"TableName":"$2","Item":{"id":{"S":"k' .. (lo - 1) .. '"},"seq":{"N":"' .. seq .. '"}}}')
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.0f %.0f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
LUA
}
put_lua .run/put-hot.lua Hot
put_lua .run/put-tight.lua Tight

measure() {  # name url admin script
  local before after r
  before=$(curl -s "$3/stats")
  r=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$4" "$2/" | awk '/^RESULT/ {print $2, $3, $4, $5}')
  after=$(curl -s "$3/stats")
  "$PYTHON" - "$1" $r "$before" "$after" "$DURATION" <<'PY'
import json, sys
name, rate, p50, p99, errors, before, after, duration = sys.argv[1:]
b, a = json.loads(before).get("writes", {}), json.loads(after).get("writes", {})
client = int(a.get("clientWrites", 0)) - int(b.get("clientWrites", 0))
upstream = int(a.get("upstreamWriteRequests", 0)) - int(b.get("upstreamWriteRequests", 0))
ok = float(rate) - int(errors) / float(duration)
print(f"  {name:<22} {float(rate):7.0f} req/s  p50 {float(p50)/1000:6.2f} ms  p99 {float(p99)/1000:6.2f} ms  "
      f"non-2xx {errors:>5}  goodput {ok:7.0f}/s  client/upstream writes {client}/{upstream} = {client / max(1, upstream):.1f}x")
PY
}

echo "upstream: dynacache store --latency $LATENCY; wrk -t1 -c$CONNECTIONS, ${DURATION}s; Zipf(1.0) over $KEYS keys"
echo "hot keys, on-demand table:"
for round in 1 2; do
  measure "alone (round $round)" "$ALONE" "$ALONE_ADMIN" .run/put-hot.lua
  measure "batched" "$BATCH" "$BATCH_ADMIN" .run/put-hot.lua
  measure "batched+coalesced" "$COAL" "$COAL_ADMIN" .run/put-hot.lua
done
echo "PROVISIONED table at $WCU WCU (burst 1 s):"
for round in 1 2; do
  measure "alone (round $round)" "$ALONE" "$ALONE_ADMIN" .run/put-tight.lua
  measure "batched" "$BATCH" "$BATCH_ADMIN" .run/put-tight.lua
  measure "batched+coalesced" "$COAL" "$COAL_ADMIN" .run/put-tight.lua
done
