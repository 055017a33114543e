#!/usr/bin/env bash
# Pass-through overhead: GetItem direct to an upstream vs through `dynacache serve`, same run.
#  1. A stub upstream that answers instantly (DynaCacheBench stub-upstream): the difference is
#     the proxy's own cost. wrk drives it, sequential (1 connection) and concurrent (32).
#  2. moto_server, a real DynamoDB-compatible store, driven by boto3: what a client sees.
# Release builds; all processes share this machine's cores, so read ratios, not absolutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-2}
BIN=.build/release

. scripts/bench-lib.sh
ensure_wrk


STUB=$(free_port); PROXY=$(free_port); ADMIN=$(free_port); MOTO=$(free_port); PROXY_MOTO=$(free_port); ADMIN_MOTO=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

mkdir -p .run
$BIN/DynaCacheBench stub-upstream "$STUB" > .run/stub.log 2>&1 & pids+=($!)
# Forwarding only: the cache off for every table (otherwise a Redis at the default address
# would turn this into a cache-hit benchmark); checked below by the answer's cache header.
printf 'cache:\n  default:\n    enabled: false\n' > .run/bench-empty.yaml
$BIN/dynacache serve --config .run/bench-empty.yaml --upstream "http://127.0.0.1:$STUB" \
  --listen "127.0.0.1:$PROXY" --admin-listen "127.0.0.1:$ADMIN" --log-level warning > .run/bench-proxy.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$STUB/"; wait_http "http://127.0.0.1:$ADMIN/health"

expect_bypass() { # url: the proxy forwards GetItem rather than answering it from a cache
  local header
  header=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.GetItem' \
    --data '{"TableName":"Users","Key":{"pk":{"S":"USER#12345"},"sk":{"S":"PROFILE"}}}' "$1/" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-dynacache-cache" {print $2}')
  if [ "$header" != "bypass" ]; then
    echo "bench-passthrough: $1 answered with x-dynacache-cache '$header', not bypass: not a pass-through benchmark" >&2
    exit 1
  fi
}
expect_bypass "http://127.0.0.1:$PROXY"

cat > .run/getitem.lua <<'LUA'
wrk.method = "POST"
wrk.body = '{"TableName":"Users","Key":{"pk":{"S":"USER#12345"},"sk":{"S":"PROFILE"}}}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.1f %.1f\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99)))
end
LUA

run_wrk() { # url threads connections -> "req/s p50us p99us"
  wrk -t"$2" -c"$3" -d"${DURATION}s" -s .run/getitem.lua "$1" | awk '/^RESULT/ {print $2, $3, $4}'
}

echo "== stub upstream (instant answers), wrk, ${DURATION}s per run, $ROUNDS rounds =="
for shape in "1 1" "2 32"; do
  set -- $shape
  for round in $(seq 1 "$ROUNDS"); do
    d=$(run_wrk "http://127.0.0.1:$STUB/" "$1" "$2")
    p=$(run_wrk "http://127.0.0.1:$PROXY/" "$1" "$2")
    read -r dr dp50 dp99 <<< "$d"; read -r pr pp50 pp99 <<< "$p"
    "$PYTHON" - "$2" "$round" "$dr" "$dp50" "$dp99" "$pr" "$pp50" "$pp99" <<'PY'
import sys
c, rnd, dr, dp50, dp99, pr, pp50, pp99 = sys.argv[1:]
dr, dp50, dp99, pr, pp50, pp99 = map(float, (dr, dp50, dp99, pr, pp50, pp99))
print(f"connections={c:>2} round {rnd}: direct {dr:8.0f} req/s p50 {dp50:7.0f} us p99 {dp99:7.0f} us | "
      f"proxy {pr:8.0f} req/s p50 {pp50:7.0f} us p99 {pp99:7.0f} us | "
      f"throughput proxy/direct {pr/dr:.2f}x, p50 proxy/direct {pp50/dp50:.2f}x (+{pp50-dp50:.0f} us)")
PY
  done
done

echo "== moto_server (a real DynamoDB-compatible store), boto3 GetItem, sequential =="
"$PYTHON" -m moto.server -H 127.0.0.1 -p "$MOTO" > .run/bench-moto.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$MOTO/moto-api/"
$BIN/dynacache serve --config .run/bench-empty.yaml --upstream "http://127.0.0.1:$MOTO" \
  --listen "127.0.0.1:$PROXY_MOTO" --admin-listen "127.0.0.1:$ADMIN_MOTO" --log-level warning > .run/bench-proxy-moto.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$ADMIN_MOTO/health"
expect_bypass "http://127.0.0.1:$PROXY_MOTO"
"$PYTHON" - "http://127.0.0.1:$MOTO" "http://127.0.0.1:$PROXY_MOTO" <<'PY'
import statistics, sys, time
import boto3
direct_url, proxy_url = sys.argv[1:]
def client(url):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="bench", aws_secret_access_key="bench")
setup = client(direct_url)
setup.create_table(TableName="Users", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
setup.put_item(TableName="Users", Item={"pk": {"S": "USER#1"}, "name": {"S": "Ada"}, "n": {"N": "1"}})
def run(url, n=300):
    c = client(url)
    for _ in range(20):
        c.get_item(TableName="Users", Key={"pk": {"S": "USER#1"}})
    samples = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        c.get_item(TableName="Users", Key={"pk": {"S": "USER#1"}})
        samples.append((time.perf_counter() - t) * 1e3)
    total = time.perf_counter() - start
    samples.sort()
    return n / total, samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
for rnd in (1, 2):
    d = run(direct_url); p = run(proxy_url)
    print(f"round {rnd}: direct {d[0]:6.0f} req/s p50 {d[1]:6.2f} ms p99 {d[2]:6.2f} ms | "
          f"proxy {p[0]:6.0f} req/s p50 {p[1]:6.2f} ms p99 {p[2]:6.2f} ms | "
          f"throughput proxy/direct {p[0]/d[0]:.2f}x, p50 proxy/direct {p[1]/d[1]:.2f}x")
PY
