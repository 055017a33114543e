"""Fidelity checks that need a real proxy: the request-shape check follows DynamoDB's API model
(botocore's service-2.json), `/metrics` stays bounded whatever targets clients send, and table
names that do not exist start no stream consumer."""

import json
import random
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.loaders
import pytest

from conftest import client, start_proxy, start_store
from rawhttp import error_of, post

MODELS = [("DynamoDB_20120810", "dynamodb"), ("DynamoDBStreams_20120810", "dynamodbstreams")]


class Recorder(BaseHTTPRequestHandler):
    """An upstream that answers every operation with `{}` and remembers what reached it."""
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        Recorder.seen.append((self.headers.get("x-amz-target"), body))
        out = b"{}"
        self.send_response(200)
        self.send_header("content-type", "application/x-amz-json-1.0")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def recording_proxy(redis_server):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = start_proxy(f"http://127.0.0.1:{server.server_address[1]}",
                        config="writes:\n  default:\n    batching: false\nchangeStream:\n  enabled: false\n")
    yield proxy
    proxy.stop()
    server.shutdown()


def example(model, name, rng, depth=0):
    """A value of shape `name` with every member set (nesting bounded)."""
    shape = model["shapes"][name]
    kind = shape["type"]
    if name == "AttributeValue":
        return rng.choice([{"S": "x"}, {"N": "1"}, {"BOOL": True}, {"M": {"k": {"S": "v"}}}, {"L": [{"N": "2"}]}])
    if kind == "structure":
        if depth > 6:
            return {}
        return {m: example(model, spec["shape"], rng, depth + 1) for m, spec in shape.get("members", {}).items()}
    if kind == "list":
        return [example(model, shape["member"]["shape"], rng, depth + 1)] if depth <= 6 else []
    if kind == "map":
        return {"Key": example(model, shape["value"]["shape"], rng, depth + 1)} if depth <= 6 else {}
    if kind in ("integer", "long"):
        return 1
    if kind == "double":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 1700000000
    if kind == "blob":
        return "YmxvYg=="
    return shape.get("enum", ["Key"])[0]


def string_paths(value, path=()):
    """Every path to a string member (not inside an AttributeValue)."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in ("S", "N", "B", "BOOL", "M", "L", "SS", "NS", "BS", "NULL"):
            return
        for k, v in value.items():
            yield from string_paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from string_paths(v, path + (i,))
    elif isinstance(value, str):
        yield path


def set_path(value, path, new):
    for step in path[:-1]:
        value = value[step]
    value[path[-1]] = new


def operations():
    loader = botocore.loaders.Loader()
    for prefix, service in MODELS:
        model = loader.load_service_model(service, "service-2")
        for name, op in sorted(model["operations"].items()):
            if "input" in op:
                yield prefix, model, name, op["input"]["shape"]


@pytest.mark.parametrize("prefix,model,name,shape", list(operations()), ids=lambda v: v if isinstance(v, str) else "")
def test_requests_the_model_allows_are_forwarded_and_type_errors_refused(recording_proxy, prefix, model, name, shape):
    rng = random.Random(name)
    request = example(model, shape, rng)
    target = f"{prefix}.{name}"
    Recorder.seen.clear()
    status, _, data = post(recording_proxy.url, target, json.dumps(request).encode())
    # Valid by the model: never refused by the proxy's own check (the stub answers 200 `{}`).
    assert status == 200, (target, data)
    assert any(t == target for t, _ in Recorder.seen), target
    # The same request with one string member given a number: refused, and not forwarded.
    paths = list(string_paths(request))
    if not paths:
        return
    broken = json.loads(json.dumps(request))
    set_path(broken, rng.choice(paths), 12345)
    Recorder.seen.clear()
    status, _, data = post(recording_proxy.url, target, json.dumps(broken).encode())
    assert status == 400 and error_of(data)[0] == "SerializationException", (target, data)
    assert not any(t == target for t, _ in Recorder.seen)


def test_tags_are_not_item_keys(recording_proxy):
    """CreateTable and TagResource with Tags (`Key` is a tag's name there) reach the store."""
    ddb = client(recording_proxy.url)
    Recorder.seen.clear()
    ddb.tag_resource(ResourceArn="arn:aws:dynamodb:us-east-1:000000000000:table/T",
                     Tags=[{"Key": "team", "Value": "core"}])
    assert Recorder.seen and Recorder.seen[-1][0] == "DynamoDB_20120810.TagResource"


def metrics_lines(proxy):
    return urllib.request.urlopen(proxy.admin_url + "/metrics", timeout=10).read().decode().splitlines()


def test_bogus_targets_and_unauthenticated_requests_do_not_grow_metrics(redis_server, tmp_path):
    store = start_store(tmp_path / "store")
    proxy = start_proxy(store.url, ["--auth", "sigv4"], env={"DYNACACHE_AUTH_KEYS": "AKIDCLIENT:client-secret-key"})
    try:
        post(proxy.url, "DynamoDB_20120810.ListTables", b"{}")  # one unauthenticated request first
        before = len(metrics_lines(proxy))
        for i in range(200):
            post(proxy.url, f"DynamoDB_20120810.Bogus{i}", b"{}")
            post(proxy.url, "DynamoDB_20120810.ListTables", b"{}")
        lines = metrics_lines(proxy)
        assert len(lines) <= before + 20, len(lines) - before
        assert not any("Bogus" in line for line in lines)
        assert any('operation="unauthenticated"' in line for line in lines)
    finally:
        proxy.stop()
        store.stop()


def test_tables_that_do_not_exist_start_no_stream_consumer(redis_server, tmp_path):
    store = start_store(tmp_path / "store")
    proxy = start_proxy(store.url)
    try:
        ddb = client(proxy.url)
        for i in range(20):
            with pytest.raises(Exception):
                ddb.get_item(TableName=f"NoSuch{i}", Key={"id": {"S": "k"}})
        ddb.create_table(TableName="Real", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        ddb.get_item(TableName="Real", Key={"id": {"S": "k"}})
        deadline = time.time() + 10
        while True:  # the table that answered is followed
            stats = json.loads(urllib.request.urlopen(proxy.admin_url + "/stats", timeout=10).read())
            watched = stats["stream"]["tables"]
            if "Real" in watched or time.time() > deadline:
                break
            time.sleep(0.05)
        assert "Real" in watched, watched
        assert not any(name.startswith("NoSuch") for name in watched), watched
    finally:
        proxy.stop()
        store.stop()
