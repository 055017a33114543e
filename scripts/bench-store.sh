#!/usr/bin/env bash
# The embedded store vs moto_server: GetItem, PutItem and Query throughput over HTTP with the
# same client (wrk, 8 connections) in the same run, as ratios; then the in-process cost per call.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DURATION=${DURATION:-6}
BIN=.build/release

. scripts/bench-lib.sh
ensure_wrk

STORE=$(free_port); MOTO=$(free_port)
DATA=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DATA"; }
trap cleanup EXIT
mkdir -p .run
$BIN/dynacache store --listen "127.0.0.1:$STORE" --data "$DATA" --log-level warning > .run/bench-store.log 2>&1 & pids+=($!)
"$PYTHON" -m moto.server -H 127.0.0.1 -p "$MOTO" > .run/bench-moto.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$STORE/"; wait_http "http://127.0.0.1:$MOTO/moto-api/"

"$PYTHON" - "http://127.0.0.1:$STORE" "http://127.0.0.1:$MOTO" <<'PY'
import sys, boto3
for url in sys.argv[1:]:
    c = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b")
    c.create_table(TableName="Bench", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                   BillingMode="PAY_PER_REQUEST")
    for i in range(200):
        c.put_item(TableName="Bench", Item={"pk": {"S": f"user#{i % 20}"}, "sk": {"N": str(i)}, "name": {"S": "Ada"}, "n": {"N": "36"}})
PY

write_lua() { # name target body
  cat > ".run/$1.lua" <<LUA
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('$3', counter % 20, counter % 200)
  return wrk.format("POST", "/", {["Content-Type"] = "application/x-amz-json-1.0", ["X-Amz-Target"] = "DynamoDB_20120810.$2"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.0f\n", summary.requests / (summary.duration / 1e6), latency:percentile(50)))
end
LUA
}
write_lua get GetItem '{"TableName":"Bench","Key":{"pk":{"S":"user#%d"},"sk":{"N":"%d"}}}'
write_lua put PutItem '{"TableName":"Bench","Item":{"pk":{"S":"user#%d"},"sk":{"N":"%d"},"name":{"S":"Bob"},"n":{"N":"7"}}}'
write_lua query Query '{"TableName":"Bench","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"user#%d"}},"Limit":%d}'
sed -i 's/counter % 200)/counter % 200)/; ' .run/get.lua .run/put.lua
sed -i 's/counter % 20, counter % 200)/counter % 20, 10)/' .run/query.lua

echo "== wrk -t2 -c8 -d${DURATION}s, same client, same run; rounds alternate which goes first =="
run() { wrk -t2 -c8 -d"$3" -s ".run/$1.lua" "$2/" | awk '/^RESULT/ {print $2, $3}'; }
for op in get put query; do  # warm-up, not reported
  run "$op" "http://127.0.0.1:$STORE" 1s > /dev/null; run "$op" "http://127.0.0.1:$MOTO" 1s > /dev/null
done
for round in 1 2; do
  for op in get put query; do
    if [ "$round" -eq 1 ]; then
      s=$(run "$op" "http://127.0.0.1:$STORE" "${DURATION}s"); m=$(run "$op" "http://127.0.0.1:$MOTO" "${DURATION}s"); order="store first"
    else
      m=$(run "$op" "http://127.0.0.1:$MOTO" "${DURATION}s"); s=$(run "$op" "http://127.0.0.1:$STORE" "${DURATION}s"); order="moto first"
    fi
    read -r sr sp <<< "$s"; read -r mr mp <<< "$m"
    "$PYTHON" -c "import sys; op,sr,sp,mr,mp,o=sys.argv[1:]; print(f'{op:6} dynacache store {float(sr):8.0f} req/s p50 {float(sp):7.0f} us | moto {float(mr):6.0f} req/s p50 {float(mp):7.0f} us | store/moto {float(sr)/float(mr):6.1f}x ({o})')" "$op" "$sr" "$sp" "$mr" "$mp" "$order"
  done
done
echo "== in process =="
$BIN/DynaCacheBench store
