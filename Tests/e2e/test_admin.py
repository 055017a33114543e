"""The admin listener: /metrics in Prometheus's format, hot keys and cost in /stats, the token,
`dynacache stats`, and /dashboard rendered by a real headless Chromium whose numbers must match
/stats."""

import html.parser
import json
import re
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import DYNACACHE, client, create_id_table, start_proxy


def get(url, token=None):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode()


@pytest.fixture()
def busy(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "d")], env={"DYNACACHE_ADMIN_TOKEN": "s3cret"})
    ddb = client(proxy.url)
    ddb.create_table(TableName="Users", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                  {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}], BillingMode="PAY_PER_REQUEST")
    for i in range(5):
        ddb.put_item(TableName="Users", Item={"pk": {"S": f"u{i}"}, "sk": {"N": "1"}, "bio": {"S": "x" * 5000}})
    for _ in range(12):
        ddb.get_item(TableName="Users", Key={"pk": {"S": "u0"}, "sk": {"N": "1"}})
    for i in range(1, 5):
        ddb.get_item(TableName="Users", Key={"pk": {"S": f"u{i}"}, "sk": {"N": "1"}})
    yield proxy
    proxy.stop()


def stats(proxy):
    return json.loads(get(proxy.admin_url + "/stats", "s3cret")[1])


def test_the_token_guards_everything_but_health(busy):
    assert get(busy.admin_url + "/health")[0] == 200
    for path in ("/stats", "/metrics", "/dashboard"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(busy.admin_url + path)
        assert refused.value.code == 401
        with pytest.raises(urllib.error.HTTPError):
            get(busy.admin_url + path, "wrong")
        assert get(busy.admin_url + path, "s3cret")[0] == 200
    assert get(busy.admin_url + "/stats?token=s3cret")[0] == 200


def test_a_public_admin_listener_needs_a_token(tmp_path):
    r = subprocess.run([DYNACACHE, "serve", "--upstream", "embedded", "--data", str(tmp_path / "d"),
                        "--admin-listen", "0.0.0.0:0", "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "without a token" in (r.stdout + r.stderr)


def test_hot_keys_and_cost(busy):
    s = stats(busy)
    top = s["hotKeys"]["Users"][0]
    assert top["key"] == "pk=u0 sk=1" and int(top["requests"]) == 12
    assert 0.9 <= float(top["hitRatio"]) < 1  # the first read missed
    assert float(s["cost"]["readUnitsSaved"]) == float(s["totals"]["readUnitsSaved"]) > 0
    assert float(s["totals"]["readUnitsSaved"]) == 11 * 1.0  # 11 hits of a 5 KB item: two 4 KB halves each
    assert float(s["cost"]["dollarsSaved"]) > 0 and "asOf" in s["cost"]["pricePerMillion"]


def test_metrics_match_stats(busy):
    s = stats(busy)
    text = get(busy.admin_url + "/metrics", "s3cret")[1]
    get_item = s["tables"]["Users"]["GetItem"]

    def value(name, **labels):
        for line in text.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
                if all(found.get(k) == v for k, v in labels.items()):
                    return float(line.rsplit(" ", 1)[1])
        return None

    assert value("dynacache_cache_requests_total", table="Users", operation="GetItem", result="hit") == float(get_item["freshHits"])
    assert value("dynacache_cache_requests_total", table="Users", operation="GetItem", result="miss") == float(get_item["misses"])
    assert value("dynacache_redis_up") == 1
    assert value("dynacache_request_duration_seconds_count", operation="GetItem", result="hit") >= 11
    assert value("dynacache_client_writes_total") >= 5
    assert "# TYPE dynacache_request_duration_seconds histogram" in text
    # a second scrape does not double the counters
    again = get(busy.admin_url + "/metrics", "s3cret")[1]
    text = again
    assert value("dynacache_cache_requests_total", table="Users", operation="GetItem", result="hit") == \
        float(get_item["freshHits"])


def test_the_stats_command(busy):
    out = subprocess.run([DYNACACHE, "stats", "--admin", busy.admin_url, "--token", "s3cret"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    s = stats(busy)
    row = next(line for line in out.stdout.splitlines() if line.startswith("Users / GetItem"))
    assert row.split()[3:5] == [str(s["tables"]["Users"]["GetItem"]["freshHits"]), str(s["tables"]["Users"]["GetItem"]["staleHits"])]
    assert "pk=u0 sk=1" in out.stdout
    refused = subprocess.run([DYNACACHE, "stats", "--admin", busy.admin_url], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "401" in refused.stderr + refused.stdout


def test_the_stats_command_watches_until_interrupted(busy):
    """`dynacache stats --watch` redraws the table every two seconds with the current numbers
    (a read made between two frames shows in the next one) and stops cleanly on SIGINT."""
    import signal
    import threading
    from conftest import wait_until
    proc = subprocess.Popen([DYNACACHE, "stats", "--watch", "--admin", busy.admin_url, "--token", "s3cret"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    frames, current = [], []

    def read():
        for line in proc.stdout:
            if line.startswith("\x1b[2J"):  # each frame starts by clearing the screen
                if current:
                    frames.append("".join(current))
                current[:] = [line]
            else:
                current.append(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        def fresh_hits(frame):
            row = next(line for line in frame.splitlines() if line.startswith("Users / GetItem"))
            return int(row.split()[3])

        assert wait_until(lambda: len(frames) >= 1)
        first = fresh_hits(frames[-1])
        seen = len(frames)
        ddb = client(busy.url)
        ddb.get_item(TableName="Users", Key={"pk": {"S": "u0"}, "sk": {"N": "1"}})  # one more hit
        assert wait_until(lambda: len(frames) > seen and fresh_hits(frames[-1]) == first + 1), frames[-1:]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode in (0, 130, -signal.SIGINT), proc.stderr.read()


class DataStats(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.values, self.current = {}, None

    def handle_starttag(self, tag, attrs):
        self.current = dict(attrs).get("data-stat")

    def handle_data(self, data):
        if self.current and data.strip():
            self.values[self.current] = data.strip()
            self.current = None


def test_the_dashboard_in_headless_chromium(busy):
    s = stats(busy)
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000",
                          "--dump-dom", busy.admin_url + "/dashboard?token=s3cret"],
                         capture_output=True, text=True, timeout=60).stdout
    parser = DataStats()
    parser.feed(dom)
    shown = parser.values
    def same(path, value):
        assert float(shown[path]) == float(value), (path, shown.get(path), value)

    same("totals.hits", s["totals"]["hits"])
    same("totals.misses", s["totals"]["misses"])
    same("tables.Users.GetItem.freshHits", s["tables"]["Users"]["GetItem"]["freshHits"])
    same("tables.Users.GetItem.hitRatio", s["tables"]["Users"]["GetItem"]["hitRatio"])
    same("cost.dollarsSaved", s["cost"]["dollarsSaved"])
    assert "pk=u0 sk=1" in dom and "redis up" in dom


def test_the_grafana_dashboard_and_alert_rules_name_metrics_the_proxy_exports(tmp_path):
    """Every metric a panel or an alert names is on /metrics. Some appear only once there is
    traffic of their kind (throttles, retries, a stream being read), so this proxy gets it: a
    store with one write unit a second and a streamed table."""
    import os
    import yaml
    from conftest import start_store, wait_until
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "Config", "grafana-dashboard.json")) as f:
        dashboard = json.load(f)
    with open(os.path.join(root, "Config", "prometheus-alerts.yaml")) as f:
        rules = yaml.safe_load(f)
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [r["expr"] for g in rules["groups"] for r in g["rules"]]
    store = start_store(tmp_path / "s", env={"DYNACACHE_CAPACITY_BURST_S": "1"})
    proxy = start_proxy(store.url, env={"DYNACACHE_ADMIN_TOKEN": "s3cret"})
    try:
        ddb = client(proxy.url)
        create_id_table(ddb, "Slow", BillingMode="PROVISIONED",
                        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 1},
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        written = []

        def exported():
            ddb.put_item(TableName="Slow", Item={"id": {"S": f"k{len(written)}"}})  # throttled, retried
            written.append(1)
            ddb.get_item(TableName="Slow", Key={"id": {"S": "k0"}})
            text = get(proxy.admin_url + "/metrics", "s3cret")[1]
            return set(re.findall(r"^(dynacache_\w+?)(?:_bucket|_count|_sum)?[{ ]", text, re.M))

        wanted = {re.sub(r"_(bucket|count|sum)$", "", name) for expr in exprs for name in re.findall(r"dynacache_\w+", expr)}
        assert wait_until(lambda: wanted <= exported(), timeout=60, interval=0.2), wanted - exported()
    finally:
        proxy.stop()
        store.stop()
