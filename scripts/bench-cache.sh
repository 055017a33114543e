#!/usr/bin/env bash
# Cache-hit GetItem through the proxy, beside nginx serving a static body of the same size and
# beside the upstream read directly (moto_server), all in one run; and the proxy's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DURATION=${DURATION:-8}
BIN=.build/release
. scripts/bench-lib.sh
ensure_wrk
if ! command -v nginx >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
fi

REDIS=$(free_port); MOTO=$(free_port); PROXY=$(free_port); ADMIN=$(free_port); NGINX=$(free_port)
pids=()
mkdir -p .run
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -f .run/nginx.pid ] && kill "$(cat .run/nginx.pid 2>/dev/null)" 2>/dev/null || true; }
trap cleanup EXIT

redis-server --bind 127.0.0.1 --port "$REDIS" --save '' --appendonly no > .run/bench-redis.log 2>&1 & pids+=($!)
"$PYTHON" -m moto.server -H 127.0.0.1 -p "$MOTO" > .run/bench-moto.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$MOTO/moto-api/"
echo '# bench' > .run/bench-empty.yaml
$BIN/dynacache serve --config .run/bench-empty.yaml --upstream "http://127.0.0.1:$MOTO" --redis "redis://127.0.0.1:$REDIS" \
  --listen "127.0.0.1:$PROXY" --admin-listen "127.0.0.1:$ADMIN" --log-level warning > .run/bench-proxy.log 2>&1 & pids+=($!)
PROXY_PID=$!
wait_http "http://127.0.0.1:$ADMIN/health"

BODY=$("$PYTHON" - "http://127.0.0.1:$MOTO" "http://127.0.0.1:$PROXY" <<'PY'
import sys, boto3
moto, proxy = sys.argv[1:]
def c(url):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b")
c(moto).create_table(TableName="Users", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
c(moto).put_item(TableName="Users", Item={"pk": {"S": "USER#12345"}, "name": {"S": "Ada Lovelace"}, "email": {"S": "ada@example.com"},
                                          "age": {"N": "36"}, "tags": {"SS": ["admin", "beta"]}})
r = c(proxy).get_item(TableName="Users", Key={"pk": {"S": "USER#12345"}})
r = c(proxy).get_item(TableName="Users", Key={"pk": {"S": "USER#12345"}})
assert r["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "hit"
import json, urllib.request
req = urllib.request.Request(proxy + "/", data=b'{"TableName":"Users","Key":{"pk":{"S":"USER#12345"}}}',
                             headers={"X-Amz-Target": "DynamoDB_20120810.GetItem", "Content-Type": "application/x-amz-json-1.0"})
print(urllib.request.urlopen(req).read().decode())
PY
)
cat > .run/nginx.conf <<NGINX
daemon off;
worker_processes 1;
pid $(pwd)/.run/nginx.pid;
error_log stderr;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NGINX;
    location / { default_type application/x-amz-json-1.0; return 200 '$BODY'; }
  }
}
NGINX
nginx -c "$(pwd)/.run/nginx.conf" -p "$(pwd)/.run" > .run/bench-nginx.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$NGINX/"

cat > .run/hit.lua <<'LUA'
wrk.method = "POST"
wrk.body = '{"TableName":"Users","Key":{"pk":{"S":"USER#12345"}}}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.0f %.0f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
LUA
echo "body: ${#BODY} bytes; wrk -t1, ${DURATION}s per run"
for c in 1 32; do
  p=$(wrk -t1 -c"$c" -d"${DURATION}s" -s .run/hit.lua "http://127.0.0.1:$PROXY/" | awk '/^RESULT/ {print $2, $3, $4, $5}')
  n=$(wrk -t1 -c"$c" -d"${DURATION}s" -s .run/hit.lua "http://127.0.0.1:$NGINX/" | awk '/^RESULT/ {print $2, $3, $4, $5}')
  m=$(wrk -t1 -c"$c" -d"${DURATION}s" -s .run/hit.lua "http://127.0.0.1:$MOTO/" | awk '/^RESULT/ {print $2, $3, $4, $5}')
  "$PYTHON" - "$c" $p $n $m <<'PY'
import sys
c, pr, pp50, pp99, perr, nr, np50, np99, nerr, mr, mp50, mp99, merr = sys.argv[1:]
pr, pp50, pp99, nr, np50, mr, mp50 = map(float, (pr, pp50, pp99, nr, np50, mr, mp50))
print(f"connections={c:>2}: proxy hit {pr:8.0f} req/s p50 {pp50:6.0f} us p99 {float(pp99):6.0f} us (non-2xx {perr}) | "
      f"nginx {nr:8.0f} req/s p50 {np50:5.0f} us | moto direct {mr:6.0f} req/s p50 {mp50:7.0f} us")
print(f"              hit throughput / nginx {pr/nr:.2f}x; hit p50 / upstream p50 {pp50/mp50:.3f}x ({mp50/pp50:.0f}x faster)")
PY
done
echo "proxy peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$PROXY_PID/status)"
curl -s "http://127.0.0.1:$ADMIN/stats" | "$PYTHON" -c "import json,sys; s=json.load(sys.stdin); print('stats totals:', s['totals'])"
