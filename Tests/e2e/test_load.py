"""`dynacache-load`: the seed's scenarios against `dynacache store` and the proxy back to back,
the coherence checker (and that it does catch a proxy that cannot see direct writes), open loop,
a scenario file of one's own against moto, and bad arguments."""

import json
import os
import subprocess

from conftest import DYNACACHE, ROOT, client, reset_moto, start_proxy, start_store

LOAD = os.environ.get("DYNACACHE_LOAD_BIN", os.path.join(ROOT, ".build", "debug", "dynacache-load"))
SCENARIOS = os.path.join(ROOT, "LoadTests", "scenarios")


def load(*args, timeout=180):
    return subprocess.run([LOAD, "--scenario-dir", SCENARIOS, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def seeded_store(tmp_path, extra_args=()):
    store = start_store(tmp_path / "store", extra_args=extra_args)
    r = subprocess.run([DYNACACHE, "seed", "--endpoint", store.url], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return store


def test_compare_store_and_proxy_with_the_coherence_check(tmp_path, redis_server):
    store = seeded_store(tmp_path)
    proxy = start_proxy(store.url, config="changeStream:\n  idlePollMinMs: 20\n  idlePollMaxMs: 100\n")
    try:
        ddb = client(store.url)
        messages_before = ddb.scan(TableName="Messages", Select="COUNT")["Count"]
        report = tmp_path / "report"
        r = load("--compare", f"store={store.url}", f"proxy={proxy.url}", "--admin", f"proxy={proxy.admin_url}",
                 "--duration", "4s", "--concurrency", "4", "--coherence", "--direct", store.url,
                 "--report", str(report))
        assert r.returncode == 0, r.stdout + r.stderr[-3000:]
        assert "proxy/store" in r.stdout and "missed proxy-acked writes" in r.stdout
        # progress in a log: each endpoint's first second at least
        assert "[store] 1s/4s" in r.stderr and "[proxy] 1s/4s" in r.stderr
        data = json.loads((report / "report.json").read_text())
        assert data["scenario"] == "default" and len(data["mix"]) == 8
        store_run, proxy_run = data["runs"]
        for run in (store_run, proxy_run):
            assert run["requests"] > 20 and run["errors"] == {}, run["errors"]
            assert set(run["expectedErrors"]) <= {"ConditionalCheckFailedException"}
            assert all(s["requests"] > 0 for s in run["steps"]), run["steps"]
            assert run["latency"]["p50"] <= run["latency"]["p99"] <= run["latency"]["max"]
            assert run["cdf"][-1][1] == 1
        assert store_run["cacheStatus"] == {}  # the store is no proxy
        assert proxy_run["cacheStatus"].get("hit", 0) > 0
        counters = proxy_run["proxy"]
        assert counters["cacheServed"] > 0 and counters["clientWrites"] > 0
        coherence = proxy_run["coherence"]
        assert coherence["reads"] > 50 and coherence["proxyWrites"] > 10 and coherence["directWrites"] > 10
        assert coherence["missedProxyWrites"] == 0 and coherence["missedDirectWritesBeyondBound"] == 0
        assert store_run.get("coherence") is None  # nothing to check when the endpoint is the store
        assert data["comparison"]["base"] == "store" and data["comparison"]["throughput"] > 0
        html = (report / "report.html").read_text()
        assert html.count("<svg") == 3 and "<script" not in html
        # the append-message step really wrote through both endpoints
        assert ddb.scan(TableName="Messages", Select="COUNT")["Count"] > messages_before
    finally:
        proxy.stop()
        store.stop()


def test_read_your_writes_holds_over_a_lagging_store(tmp_path, redis_server):
    """Over a store whose eventually consistent reads lag 300 ms, no read through the proxy
    returns a version older than a write the proxy acknowledged (fills and pass-throughs inside
    a tombstone read consistently)."""
    store = seeded_store(tmp_path, ["--replica-lag", "300"])
    proxy = start_proxy(store.url, config="changeStream:\n  idlePollMinMs: 20\n  idlePollMaxMs: 100\n")
    try:
        report = tmp_path / "report"
        r = load("--endpoint", proxy.url, "--duration", "8s", "--concurrency", "4", "--coherence",
                 "--direct", store.url, "--bound", "3s", "--report", str(report))
        assert r.returncode == 0, r.stdout + r.stderr[-3000:]
        coherence = json.loads((report / "report.json").read_text())["runs"][0]["coherence"]
        assert coherence["reads"] > 100 and coherence["proxyWrites"] > 20, coherence
        assert coherence["missedProxyWrites"] == 0, coherence
        assert coherence["missedDirectWritesBeyondBound"] == 0, coherence
    finally:
        proxy.stop()
        store.stop()


def test_the_checker_catches_a_proxy_that_misses_direct_writes(tmp_path, redis_server):
    """Change stream off: direct writes stay invisible for the cache's 5 s staleTime, far past a
    200 ms bound — the check must fail, and say so in its exit status."""
    store = start_store(tmp_path / "store")
    proxy = start_proxy(store.url, env={"DYNACACHE_CHANGE_STREAM": "false"})
    try:
        report = tmp_path / "report"
        r = load("--endpoint", f"proxy={proxy.url}", "--scenario", "get-user-profile", "--duration", "3s",
                 "--concurrency", "1", "--coherence", "--direct", store.url, "--bound", "200ms",
                 "--coherence-keys", "8", "--report", str(report))
        assert r.returncode == 3, r.stdout + r.stderr[-2000:]
        assert "coherence check failed" in r.stderr
        coherence = json.loads((report / "report.json").read_text())["runs"][0]["coherence"]
        assert coherence["missedDirectWritesBeyondBound"] > 0
        assert coherence["missedProxyWrites"] == 0  # the proxy's own writes still invalidate
        assert coherence["maxStalenessMs"] > 200
    finally:
        proxy.stop()
        store.stop()


def test_open_loop_with_a_scenario_file_of_ones_own_through_the_proxy_to_moto(tmp_path, moto_url):
    reset_moto(moto_url)
    ddb = client(moto_url)
    ddb.create_table(TableName="Counters", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    scenario = tmp_path / "counters.yaml"
    scenario.write_text("""
name: counters
keys:
  counter: {format: "c-%03d", count: 20, scaled: false}
steps:
  - name: read counter
    operation: GetItem
    weight: 3
    request: {TableName: Counters, Key: {id: {S: "${counter}"}}}
  - name: bump counter
    operation: PutItem
    request: {TableName: Counters, Item: {id: {S: "${counter}"}, n: {N: "${seq}"}, blob: {S: "${payload}"}}}
""")
    proxy = start_proxy(moto_url)
    try:
        report = tmp_path / "report"
        r = load("--endpoint", proxy.url, "--scenario", str(scenario), "--rate", "40", "--duration", "3s",
                 "--warmup", "1s", "--item-size", "100", "--keys", "uniform", "--report", str(report))
        assert r.returncode == 0, r.stdout + r.stderr[-2000:]
        run = json.loads((report / "report.json").read_text())["runs"][0]
        assert run["mode"].startswith("open loop, 40 steps/s")
        assert 100 <= run["requests"] <= 125  # 40/s for 3 s, due on schedule; the warm-up's 40 not counted
        assert run["errors"] == {}
        written = ddb.scan(TableName="Counters")["Items"]
        assert written and all(len(i["blob"]["S"]) == 100 for i in written)
    finally:
        proxy.stop()


def test_bad_arguments_and_an_unreachable_endpoint(tmp_path):
    r = load("--scenario", "no-such-scenario")
    assert r.returncode != 0 and "no scenario 'no-such-scenario'" in r.stderr and "get-user-profile" in r.stderr
    r = load("--keys", "normal")
    assert r.returncode != 0 and "--keys" in r.stderr
    r = load("--coherence")
    assert r.returncode != 0 and "--direct" in r.stderr
    r = load("--compare", "http://127.0.0.1:1")
    assert r.returncode != 0 and "two endpoints" in r.stderr
    r = load("--coherence", "--direct", "http://127.0.0.1:9", "--coherence-keys", "0")
    assert r.returncode != 0 and "--coherence-keys" in r.stderr
    r = load("--admin", "not-a-url")
    assert r.returncode != 0 and "--admin: not a URL" in r.stderr
    r = load("--list")
    assert r.returncode == 0 and "default:" in r.stdout and "hot-key-writes" in r.stdout
    # Nothing listens: every request is a transport error, counted, and the run still reports.
    report = tmp_path / "r"
    r = load("--endpoint", "http://127.0.0.1:9", "--requests", "5", "--concurrency", "1", "--report", str(report))
    assert r.returncode == 0, r.stderr[-2000:]
    run = json.loads((report / "report.json").read_text())["runs"][0]
    assert run["requests"] == 5 and sum(run["errors"].values()) == 5
    assert all(k.startswith("transport") for k in run["errors"])


def test_open_loop_counts_the_wait_of_requests_that_were_due(tmp_path):
    """Coordinated omission: one request in flight at a time against a 50 ms store, 100 due per
    second. Service time stays near 50 ms, but requests queue behind each other, and the latency
    reported counts from when each was due — it must grow far past the service time."""
    store = start_store(tmp_path / "store", env={"DYNACACHE_LATENCY": "50"})
    try:
        ddb = client(store.url)
        ddb.create_table(TableName="Users", KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "userId", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        report = tmp_path / "report"
        r = load("--endpoint", f"store={store.url}", "--scenario", "get-user-profile", "--rate", "100",
                 "--concurrency", "1", "--duration", "1s", "--report", str(report))
        assert r.returncode == 0, r.stderr[-2000:]
        run = json.loads((report / "report.json").read_text())["runs"][0]
        assert run["requests"] == 100  # every request that was due, sent late but sent
        assert run["serviceLatency"]["p99"] < 500
        assert run["latency"]["p99"] > 5 * run["serviceLatency"]["p99"]
        assert "service p99 (ms, uncorrected)" in r.stdout
    finally:
        store.stop()
