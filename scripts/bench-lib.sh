# Shared by the benchmark scripts: ports, readiness, wrk.
free_port() { "${PYTHON:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "timeout: $1"; exit 1; }
ensure_wrk() {
  command -v wrk >/dev/null && return 0
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
}

# A redis-server and a `dynacache store` on free ports ($REDIS, $STORE), stopped on exit with the
# rest of ${pids[@]}; the store's data under .run/$1.
start_redis_and_store() {
  REDIS=$(free_port); STORE=$(free_port)
  mkdir -p .run
  rm -rf ".run/$1"
  redis-server --bind 127.0.0.1 --port "$REDIS" --save '' --appendonly no > ".run/$1-redis.log" 2>&1 & pids+=($!)
  .build/release/dynacache store --listen "127.0.0.1:$STORE" --data ".run/$1" > ".run/$1-store.log" 2>&1 & pids+=($!)
  wait_http "http://127.0.0.1:$STORE/"
}

# Table Users with $1 items k0..k{N-1} of about 300 bytes, written straight to the store.
seed_users() {
  "${PYTHON:-python3}" - "http://127.0.0.1:$STORE" "$1" <<'PY'
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
}

# A wrk script (to $1) of GetItems on Users: keys k0..k{$2-1} drawn from Zipf($3); s=0 is uniform.
getitem_lua() {
  cat > "$1" <<LUA
local n, s = $2, $3
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
}

# Starts `dynacache serve` over $STORE and $REDIS with config file $1 on free ports; extra
# environment in $2 ("NAME=value ..."); sets $PROXY_URL, $ADMIN_URL, $PROXY_PID.
start_bench_proxy() {
  local port admin
  port=$(free_port); admin=$(free_port)
  env ${2:-} .build/release/dynacache serve --config "$1" --upstream "http://127.0.0.1:$STORE" --redis "redis://127.0.0.1:$REDIS" \
    --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" --log-level warning > ".run/proxy-$port.log" 2>&1 & pids+=($!)
  PROXY_PID=$!
  PROXY_URL="http://127.0.0.1:$port"; ADMIN_URL="http://127.0.0.1:$admin"
  wait_http "$ADMIN_URL/health"
}
