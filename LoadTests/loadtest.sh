#!/usr/bin/env bash
# `make loadtest`: a short run of the default scenario against `make run`'s setup (the proxy on
# 127.0.0.1:8000, admin :8081). When nothing answers there, `make run`'s script is started for
# the run (it seeds ./data on its first start) and stopped after. Report in .run/loadtest.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
SCENARIO=${SCENARIO:-default}
started=""
if ! curl -s -o /dev/null http://127.0.0.1:8081/health; then
  mkdir -p .run
  # its own process group (setsid), so that stopping it stops its redis-server and proxy too
  setsid ./scripts/run-local.sh > .run/loadtest-run.log 2>&1 &
  started=$!
  trap 'kill -TERM -- -$started 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do curl -s -o /dev/null http://127.0.0.1:8081/health && break; sleep 0.2; done
  curl -s -o /dev/null http://127.0.0.1:8081/health || { echo "make run's proxy did not start: .run/loadtest-run.log"; exit 1; }
fi
.build/debug/dynacache-load --scenario "$SCENARIO" --endpoint proxy=http://127.0.0.1:8000 \
  --admin http://127.0.0.1:8081 --duration "$DURATION" --warmup 2s --concurrency 8 --report .run/loadtest
