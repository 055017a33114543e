#!/usr/bin/env bash
# Miss batching: GetItems that always miss (staleTime 0, no L1), uniform over the keys, through a
# proxy that joins concurrent misses into BatchGetItem and one that does not, same run, one
# upstream (`dynacache store`); and how many keys each batch carried.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DURATION=${DURATION:-8}
KEYS=${KEYS:-10000}
WINDOW_US=${WINDOW_US:-300}
. scripts/bench-lib.sh
ensure_wrk
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

start_redis_and_store bench-miss
printf 'cache:\n  default:\n    staleTime: 0\n    staleWhileRevalidate: 0\n    negativeTTL: 0\n  l1:\n    enabled: false\n' > .run/bench-miss.yaml
start_bench_proxy .run/bench-miss.yaml "DYNACACHE_MISS_BATCH_WINDOW_US=$WINDOW_US"
B_URL=$PROXY_URL; B_ADMIN=$ADMIN_URL
start_bench_proxy .run/bench-miss.yaml
P_URL=$PROXY_URL
seed_users "$KEYS"
getitem_lua .run/uniform.lua "$KEYS" 0

echo "keys: $KEYS uniform, every read a miss, batching window ${WINDOW_US} us, wrk -t1, ${DURATION}s per run"
# Warm-up (2 s each, not reported): connections, SQLite's page cache, the proxies' pools.
wrk -t1 -c32 -d2s -s .run/uniform.lua "$B_URL/" > /dev/null
wrk -t1 -c32 -d2s -s .run/uniform.lua "$P_URL/" > /dev/null
run() { wrk -t1 -c"$2" -d"${DURATION}s" -s .run/uniform.lua "$1/" | awk '/^RESULT/ {print $2, $3, $4, $5}'; }
round=0
for c in 4 32 128; do
  # Alternate which variant goes first (A B, then B A), so neither always meets a warmer store.
  round=$((round + 1))
  if [ $((round % 2)) -eq 1 ]; then
    b=$(run "$B_URL" "$c"); p=$(run "$P_URL" "$c"); order="batching first"
  else
    p=$(run "$P_URL" "$c"); b=$(run "$B_URL" "$c"); order="plain first"
  fi
  "$PYTHON" - "$c" $b $p "$(curl -s "$B_ADMIN/stats")" "$order" <<'PY'
import json, sys
c, br, bp50, bp99, berr, pr, pp50, pp99, perr, stats, order = sys.argv[1:]
br, bp50, bp99, pr, pp50, pp99 = map(float, (br, bp50, bp99, pr, pp50, pp99))
m = json.loads(stats)["missBatching"]
per = int(m["batchedKeys"]) / max(1, int(m["batches"]))
print(f"c={c:>3}: batching {br:7.0f} req/s p50 {bp50:6.0f} us p99 {bp99:6.0f} us (non-2xx {berr}) | "
      f"plain {pr:7.0f} req/s p50 {pp50:6.0f} us p99 {pp99:6.0f} us (non-2xx {perr}) | "
      f"batching/plain {br/pr:.2f}x; so far {m['batches']} batches of {per:.1f} keys, {m['alone']} alone ({order})")
PY
done
