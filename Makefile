# DynaCache: `make run` to try it, `make test` to check it. Both install what is missing first.
SWIFT ?= swift
PYTHON ?= python3
MOTO_PORT ?= 5000
UPSTREAM ?= embedded

.PHONY: all deps build release test unit-test e2e-test fuzz-differential run loadtest bench-load bench bench-json bench-passthrough bench-store bench-retry bench-cache bench-l1 bench-miss-batching bench-streams bench-writes bench-invalidation-lag format clean

all: build

deps:
	./scripts/install-deps.sh

build: deps
	$(SWIFT) build --product dynacache
	$(SWIFT) build --product dynacache-load

release: deps
	$(SWIFT) build -c release --product dynacache

# Every test: Swift unit tests, then end-to-end tests with boto3 and the aws CLI against real
# processes (moto_server, dynacache) that the tests start on 127.0.0.1 themselves.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(PYTHON) -m pytest -q -p no:cacheprovider Tests/e2e

unit-test: deps
	$(SWIFT) test

e2e-test: build
	$(PYTHON) -m pytest -q -p no:cacheprovider Tests/e2e

# The cache's differential test for as long as asked: DIFF_EXAMPLES (default 500) random
# sequences of DIFF_STEPS requests, store vs proxies, with and without replica lag; prints every
# divergence (as JSON) and the smallest sequence that shows it. DIFF_SEED=1 draws new sequences.
fuzz-differential: build
	DIFF_EXAMPLES=$${DIFF_EXAMPLES:-500} DIFF_STEPS=$${DIFF_STEPS:-60} $(PYTHON) -m pytest -q -s -p no:cacheprovider \
		Tests/e2e/test_cache_differential.py

# The proxy on 127.0.0.1:8000 (admin :8081) over the embedded store in ./data (UPSTREAM=moto: moto_server).
run: build
	@# UPSTREAM=moto make run: moto_server as the table store instead of the embedded one
	MOTO_PORT=$(MOTO_PORT) UPSTREAM=$(UPSTREAM) ./scripts/run-local.sh

# A short load run (default scenario, 15 s) against `make run`'s proxy, started for it if not running.
loadtest: build
	$(SWIFT) build --product dynacache-load
	./LoadTests/loadtest.sh

# Benchmarks (release builds): JSON codec cost per request, pass-through overhead, embedded store.
bench: bench-json bench-passthrough bench-store bench-retry bench-cache bench-l1 bench-miss-batching bench-streams bench-writes bench-invalidation-lag bench-load

# The default seed scenario, table store (--latency 5) vs proxy, one run; report in LoadTests/results/.
bench-load: deps
	$(SWIFT) build -c release --product dynacache
	$(SWIFT) build -c release --product dynacache-load
	./LoadTests/bench-proxy-vs-store.sh

bench-json: deps
	$(SWIFT) build -c release --product DynaCacheBench
	.build/release/DynaCacheBench json

bench-passthrough: deps
	$(SWIFT) build -c release --product dynacache
	$(SWIFT) build -c release --product DynaCacheBench
	./scripts/bench-passthrough.sh

bench-store: deps
	$(SWIFT) build -c release --product dynacache
	$(SWIFT) build -c release --product DynaCacheBench
	./scripts/bench-store.sh
	.build/release/DynaCacheBench indexes

bench-retry: deps
	$(SWIFT) build -c release --product DynaCacheBench
	.build/release/DynaCacheBench retry

bench-cache: deps
	$(SWIFT) build -c release --product dynacache
	./scripts/bench-cache.sh

bench-l1: deps
	$(SWIFT) build -c release --product dynacache
	./scripts/bench-l1.sh

bench-invalidation-lag: deps
	$(SWIFT) build -c release --product dynacache
	$(PYTHON) scripts/bench-invalidation-lag.py

bench-writes: deps
	$(SWIFT) build -c release --product dynacache
	./scripts/bench-writes.sh

bench-streams: deps
	$(SWIFT) build -c release --product DynaCacheBench
	.build/release/DynaCacheBench streams

bench-miss-batching: deps
	$(SWIFT) build -c release --product dynacache
	./scripts/bench-miss-batching.sh

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests Benchmarks

clean:
	rm -rf .build
