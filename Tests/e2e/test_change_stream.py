"""Change-stream invalidation end to end: writes made straight to the table store (bypassing the
proxy) become visible through the proxy's cache within the stream's lag, for GetItem, Query on
the base table and a GSI, and Scan — over `dynacache store` (with shard rollover) and moto_server;
restarts resume from the checkpoint; trimmed records drop the table's entries; two proxies keep
one consumer."""

import json
import time
import urllib.request

from conftest import client, reset_moto, start_proxy, start_store

LONG = """
cache:
  default:
    staleTime: 60000
    cacheScans: true
changeStream:
  idlePollMinMs: 20
  idlePollMaxMs: 100
  describeIntervalMs: 300
  leaseMs: 2000
"""


def stats(proxy):
    return json.loads(urllib.request.urlopen(proxy.admin_url + "/stats", timeout=5).read())


def create(ddb, stream=True):
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    ddb.create_table(
        TableName="Users", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "team", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "byTeam", "KeySchema": [{"AttributeName": "team", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST", **extra)


KEY = {"pk": {"S": "u1"}, "sk": {"N": "1"}}


def views(ddb):
    get = ddb.get_item(TableName="Users", Key=KEY).get("Item", {}).get("v", {}).get("S")
    base = [i["v"]["S"] for i in ddb.query(TableName="Users", KeyConditionExpression="pk = :p",
                                            ExpressionAttributeValues={":p": {"S": "u1"}})["Items"]]
    gsi = [i["v"]["S"] for i in ddb.query(TableName="Users", IndexName="byTeam", KeyConditionExpression="team = :t",
                                           ExpressionAttributeValues={":t": {"S": "red"}})["Items"]]
    scan = [i["v"]["S"] for i in ddb.scan(TableName="Users")["Items"]]
    return get, base, gsi, scan


def until(predicate, timeout=8.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def warm(ddb, expected):
    """Reads until every view is `expected` and answered from the cache."""
    def cached():
        return views(ddb) == (expected, [expected], [expected], [expected])
    assert until(cached)
    views(ddb)


def bypass_write(direct, value):
    direct.put_item(TableName="Users", Item={**KEY, "team": {"S": "red"}, "v": {"S": value}})


def check_bypass_writes_become_visible(proxy, direct_url, rounds=3):
    ddb, direct = client(proxy.url), client(direct_url)
    bypass_write(direct, "v0")
    warm(ddb, "v0")
    for n in range(1, rounds + 1):
        bypass_write(direct, f"v{n}")
        assert until(lambda: views(ddb) == (f"v{n}", [f"v{n}"], [f"v{n}"], [f"v{n}"])), (views(ddb), json.dumps(stats(proxy)["stream"]))
    s = stats(proxy)["stream"]
    assert s["recordsProcessed"] >= rounds and s["tables"]["Users"]["state"] == "reading"


def test_writes_that_bypass_the_proxy_are_invalidated_from_the_stream(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    # Shards roll over every second, and eventually consistent reads lag by 300 ms: a fill right
    # after a record's invalidation must not store what the replica still says.
    store = start_store(tmp_path / "s", env={"DYNACACHE_STREAM_SHARD_PERIOD_S": "1", "DYNACACHE_REPLICA_LAG_MS": "300"})
    proxy = start_proxy(store.url, config=LONG)
    try:
        create(client(store.url))
        check_bypass_writes_become_visible(proxy, store.url, rounds=3)
        time.sleep(1.2)  # a rollover: the next records are in a child shard
        check_bypass_writes_become_visible(proxy, store.url, rounds=2)
        assert stats(proxy)["stream"]["tables"]["Users"]["shards"] >= 2
    finally:
        proxy.stop()
        store.stop()


def test_over_moto(moto_url, redis_server):
    reset_moto(moto_url)
    redis_server.command("FLUSHALL")
    proxy = start_proxy(moto_url, config=LONG)
    try:
        create(client(moto_url))
        check_bypass_writes_become_visible(proxy, moto_url, rounds=2)
    finally:
        proxy.stop()


def test_a_restart_resumes_from_the_checkpoint(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    store = start_store(tmp_path / "s")
    proxy = start_proxy(store.url, config=LONG)
    try:
        direct = client(store.url)
        create(direct)
        check_bypass_writes_become_visible(proxy, store.url, rounds=1)
        proxy.stop()
        bypass_write(direct, "while-down")  # the cached entries in Redis still say v1
        proxy = start_proxy(store.url, config=LONG)
        ddb = client(proxy.url)
        assert until(lambda: views(ddb)[0] == "while-down")
        t = stats(proxy)["stream"]["tables"]["Users"]
        assert t["drops"] == 0 and t["recordsProcessed"] >= 1  # resumed after its checkpoint
    finally:
        proxy.stop()
        store.stop()


def test_trimmed_records_drop_the_tables_entries(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    store = start_store(tmp_path / "s", env={"DYNACACHE_STREAM_RETENTION_S": "2"})
    proxy = start_proxy(store.url, config=LONG)
    try:
        direct = client(store.url)
        create(direct)
        check_bypass_writes_become_visible(proxy, store.url, rounds=1)
        proxy.stop()
        bypass_write(direct, "trimmed")
        time.sleep(3.5)  # past retention: the record of that write is gone
        client(store.url, "dynamodbstreams").list_streams()  # (trimming happens on Streams calls)
        proxy = start_proxy(store.url, config=LONG)
        ddb = client(proxy.url)
        assert until(lambda: views(ddb)[0] == "trimmed")
        assert stats(proxy)["stream"]["tables"]["Users"]["drops"] >= 1
    finally:
        proxy.stop()
        store.stop()


def test_expired_iterators_are_renewed_from_the_checkpoint(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    # Iterators live 50 ms, idle polls come every 100 ms or more: every idle poll finds its
    # iterator expired and takes a new one after its checkpoint.
    store = start_store(tmp_path / "s", env={"DYNACACHE_STREAM_ITERATOR_LIFETIME_S": "0.05"})
    proxy = start_proxy(store.url, config=LONG.replace("idlePollMinMs: 20", "idlePollMinMs: 100"))
    try:
        create(client(store.url))
        check_bypass_writes_become_visible(proxy, store.url, rounds=3)
        assert stats(proxy)["stream"]["tables"]["Users"]["iteratorRenewals"] > 0
    finally:
        proxy.stop()
        store.stop()


def test_a_table_without_a_stream_is_cached_under_its_policy(tmp_path, redis_server):
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "d")], config=LONG)
    try:
        ddb = client(proxy.url)
        create(ddb, stream=False)
        ddb.put_item(TableName="Users", Item={**KEY, "team": {"S": "red"}, "v": {"S": "x"}})
        ddb.get_item(TableName="Users", Key=KEY)
        assert until(lambda: stats(proxy)["stream"]["tables"].get("Users", {}).get("state") == "noStream")
        r = ddb.get_item(TableName="Users", Key=KEY)
        assert r["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "hit"
    finally:
        proxy.stop()


def test_two_proxies_keep_one_consumer_and_coherent_l1(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    store = start_store(tmp_path / "s")
    a = start_proxy(store.url, config=LONG)
    b = start_proxy(store.url, config=LONG)
    try:
        create(client(store.url))
        bypass_write(client(store.url), "v0")
        da, db = client(a.url), client(b.url)
        warm(da, "v0")
        warm(db, "v0")
        assert until(lambda: sorted(stats(p)["stream"]["tables"]["Users"]["state"] for p in (a, b))
                     == ["leaseHeldElsewhere", "reading"])
        for n in range(1, 3):
            bypass_write(client(store.url), f"v{n}")
            for d in (da, db):
                assert until(lambda: views(d) == (f"v{n}", [f"v{n}"], [f"v{n}"], [f"v{n}"]))
    finally:
        for svc in (a, b, store):
            svc.stop()
