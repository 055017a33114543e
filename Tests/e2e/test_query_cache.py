"""The Query and Scan cache and the in-process L1 tier end to end: boto3 through `dynacache serve`
with a real redis-server, over the embedded store, `dynacache store` (two proxies sharing it) and
moto_server.

Read-your-writes is checked against the truth: the same request with ReturnConsumedCapacity,
which the cache never answers."""

import json
import urllib.request

import pytest

from conftest import client, reset_moto, start_proxy, start_store, wait_until

SCANS_ON = """
cache:
  default:
    staleTime: 60000
    tombstone: 300
    cacheScans: true
  l1:
    ttlMs: 60000
"""


def stats(proxy):
    return json.loads(urllib.request.urlopen(proxy.admin_url + "/stats", timeout=5).read())


def create_orders(ddb):
    ddb.create_table(
        TableName="Orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "amount", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "byStatus",
            "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        LocalSecondaryIndexes=[{
            "IndexName": "byAmount",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "amount", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )


def order(pk, sk, status, amount, note="-"):
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, "status": {"S": status}, "amount": {"N": str(amount)},
            "note": {"S": note}}


# The reads every write is checked against: base partition, GSI partitions, LSI range, scans.
READS = [
    ("query", dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "u1"}})),
    ("query", dict(IndexName="byStatus", KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
                   ExpressionAttributeValues={":s": {"S": "open"}})),
    ("query", dict(IndexName="byStatus", KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
                   ExpressionAttributeValues={":s": {"S": "closed"}})),
    ("query", dict(IndexName="byAmount", KeyConditionExpression="pk = :p AND amount > :a",
                   ExpressionAttributeValues={":p": {"S": "u1"}, ":a": {"N": "10"}}, ScanIndexForward=False)),
    ("query", dict(KeyConditionExpression="pk = :p", FilterExpression="note <> :n", ProjectionExpression="sk, note",
                   ExpressionAttributeValues={":p": {"S": "u1"}, ":n": {"S": "x"}})),
    ("scan", dict()),
    ("scan", dict(IndexName="byStatus", FilterExpression="amount >= :a", ExpressionAttributeValues={":a": {"N": "5"}})),
]


def run(ddb, kind, params, truth=False):
    call = ddb.query if kind == "query" else ddb.scan
    extra = {"ReturnConsumedCapacity": "TOTAL"} if truth else {}
    r = call(TableName="Orders", **params, **extra)
    items = sorted(json.dumps(i, sort_keys=True) for i in r["Items"])
    return items, r["ResponseMetadata"]["HTTPHeaders"].get("x-dynacache-cache")


def check_all_reads(ddb, expect_cached):
    """Every read equals the truth; with `expect_cached`, each was answered from the cache.
    Returns whether every read was a cache answer."""
    cached = True
    for kind, params in READS:
        seen, status = run(ddb, kind, params)
        truth, truth_status = run(ddb, kind, params, truth=True)
        assert truth_status == "bypass"
        assert seen == truth, (kind, params)
        cached = cached and status in ("hit", "negative")
        if expect_cached:
            assert status in ("hit", "negative"), (kind, params, status)
    return cached


def until_cached(ddb, timeout=20.0):
    """Reads (each checked against the truth) until all of them come from the cache: fills are
    refused while a write's tombstone lasts, and the change stream may lay a later one, so
    this waits for the condition, with a deadline, rather than for a fixed time."""
    assert wait_until(lambda: check_all_reads(ddb, expect_cached=False), timeout)


@pytest.fixture()
def orders(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data")], config=SCANS_ON)
    ddb = client(proxy.url)
    create_orders(ddb)
    yield proxy, ddb
    proxy.stop()


def test_query_and_scan_read_your_writes_after_every_write_operation(orders):
    proxy, ddb = orders
    ddb.put_item(TableName="Orders", Item=order("u1", 1, "open", 20))
    ddb.put_item(TableName="Orders", Item=order("u2", 2, "open", 30))
    writes = [
        lambda: ddb.put_item(TableName="Orders", Item=order("u1", 3, "open", 40)),
        # moves between GSI partitions, through UpdateItem (old image unknown) and PutItem
        lambda: ddb.update_item(TableName="Orders", Key={"pk": {"S": "u1"}, "sk": {"N": "1"}},
                                UpdateExpression="SET #s = :c", ExpressionAttributeNames={"#s": "status"},
                                ExpressionAttributeValues={":c": {"S": "closed"}}),
        lambda: ddb.put_item(TableName="Orders", Item=order("u1", 1, "open", 25, "back")),
        lambda: ddb.update_item(TableName="Orders", Key={"pk": {"S": "u1"}, "sk": {"N": "3"}},
                                UpdateExpression="SET amount = :a", ExpressionAttributeValues={":a": {"N": "5"}}),
        lambda: ddb.delete_item(TableName="Orders", Key={"pk": {"S": "u1"}, "sk": {"N": "3"}}),
        lambda: ddb.batch_write_item(RequestItems={"Orders": [
            {"PutRequest": {"Item": order("u1", 4, "closed", 50)}},
            {"DeleteRequest": {"Key": {"pk": {"S": "u2"}, "sk": {"N": "2"}}}},
        ]}),
        lambda: ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "Orders", "Item": order("u1", 5, "open", 60)}},
            {"Update": {"TableName": "Orders", "Key": {"pk": {"S": "u1"}, "sk": {"N": "4"}},
                        "UpdateExpression": "SET #s = :o", "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":o": {"S": "open"}}}},
            {"Delete": {"TableName": "Orders", "Key": {"pk": {"S": "u1"}, "sk": {"N": "1"}}}},
        ]),
        lambda: ddb.put_item(TableName="Orders", Item=order("u3", 6, "closed", 70), ConditionExpression="attribute_not_exists(pk)"),
    ]
    for write in writes:
        check_all_reads(ddb, expect_cached=False)  # inside the last write's tombstone: GSI fills not kept
        until_cached(ddb)  # past it, filled and answered from the cache, still the truth
        write()
    check_all_reads(ddb, expect_cached=False)
    s = stats(proxy)["tables"]["Orders"]
    assert s["Query"]["freshHits"] > 0 and s["Scan"]["freshHits"] > 0


def test_put_and_delete_answer_as_the_client_asked_while_the_proxy_reads_the_old_image(orders):
    _, ddb = orders
    r = ddb.put_item(TableName="Orders", Item=order("u1", 1, "open", 20))
    assert "Attributes" not in r
    r = ddb.put_item(TableName="Orders", Item=order("u1", 1, "closed", 20))
    assert "Attributes" not in r  # the proxy asked for ALL_OLD itself; the client did not
    r = ddb.put_item(TableName="Orders", Item=order("u1", 1, "open", 20), ReturnValues="ALL_OLD")
    assert r["Attributes"]["status"] == {"S": "closed"}
    r = ddb.delete_item(TableName="Orders", Key={"pk": {"S": "u1"}, "sk": {"N": "1"}})
    assert "Attributes" not in r
    r = ddb.delete_item(TableName="Orders", Key={"pk": {"S": "u1"}, "sk": {"N": "1"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in r  # nothing was there


def test_what_bypasses_and_what_is_shared(orders):
    proxy, ddb = orders
    for i in range(5):
        ddb.put_item(TableName="Orders", Item=order("u1", i, "open", i))
    q = dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "u1"}})
    assert run(ddb, "query", q)[1] == "miss"
    # the same query spelled differently shares the entry: names and values substituted
    same = dict(KeyConditionExpression="#k = :other", ExpressionAttributeNames={"#k": "pk"},
                ExpressionAttributeValues={":other": {"S": "u1"}})
    assert run(ddb, "query", same)[1] == "hit"
    assert run(ddb, "query", dict(q, ConsistentRead=True))[1] == "bypass"
    assert run(ddb, "query", dict(q, ReturnConsumedCapacity="TOTAL"))[1] == "bypass"
    # a parameter off the allow-list (legacy, and refused by the embedded store) goes upstream
    with pytest.raises(ddb.exceptions.ClientError) as legacy:
        ddb.query(TableName="Orders", KeyConditions={"pk": {"AttributeValueList": [{"S": "u1"}],
                                                            "ComparisonOperator": "EQ"}})
    assert legacy.value.response["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "bypass"
    # pages are entries of their own, each correct
    page1 = ddb.query(TableName="Orders", Limit=2, **q)
    page2 = ddb.query(TableName="Orders", Limit=2, ExclusiveStartKey=page1["LastEvaluatedKey"], **q)
    again = ddb.query(TableName="Orders", Limit=2, ExclusiveStartKey=page1["LastEvaluatedKey"], **q)
    assert [i["sk"]["N"] for i in page1["Items"]] == ["0", "1"]
    assert [i["sk"]["N"] for i in page2["Items"]] == ["2", "3"]
    assert again["Items"] == page2["Items"] and again["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "hit"
    # an empty partition is remembered as a negative entry
    empty = dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "nobody"}})
    assert run(ddb, "query", empty) == ([], "miss")
    assert run(ddb, "query", empty) == ([], "negative")
    # a request DynamoDB refuses is never answered from the cache
    with pytest.raises(ddb.exceptions.ClientError) as refused:
        ddb.query(TableName="Orders", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "u1"}, ":unused": {"S": "x"}})
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_scans_are_not_cached_by_default(tmp_path, redis_server):
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data")])
    try:
        ddb = client(proxy.url)
        create_orders(ddb)
        assert run(ddb, "scan", {})[1] == "bypass"
        q = dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "u1"}})
        assert run(ddb, "query", q)[1] == "miss"
    finally:
        proxy.stop()


@pytest.fixture()
def two_proxies(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    store = start_store(tmp_path / "store")
    a = start_proxy(store.url, config=SCANS_ON)
    b = start_proxy(store.url, config=SCANS_ON)
    assert wait_until(lambda: stats(a)["l1"]["usable"] and stats(b)["l1"]["usable"])
    yield a, b, store
    for svc in (a, b, store):
        svc.stop()


def test_two_proxies_keep_each_others_l1_coherent(two_proxies):
    a, b, _ = two_proxies
    da, db = client(a.url), client(b.url)
    create_orders(da)
    key = {"pk": {"S": "u1"}, "sk": {"N": "1"}}
    q = dict(IndexName="byStatus", KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
             ExpressionAttributeValues={":s": {"S": "open"}})
    for version in range(1, 6):
        da.put_item(TableName="Orders", Item=order("u1", 1, "open", version))
        # B has both answers in its L1 from the previous round; A's write must reach it
        assert db.get_item(TableName="Orders", Key=key)["Item"]["amount"] == {"N": str(version)}
        assert db.get_item(TableName="Orders", Key=key)["Item"]["amount"] == {"N": str(version)}
        assert [i["amount"]["N"] for i in db.query(TableName="Orders", **q)["Items"]] == [str(version)]
        assert [i["amount"]["N"] for i in db.query(TableName="Orders", **q)["Items"]] == [str(version)]
    # and the other way round, through an update (the GSI's partitions are unknown to B's write)
    db.update_item(TableName="Orders", Key=key, UpdateExpression="SET #s = :c",
                   ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":c": {"S": "closed"}})
    assert da.query(TableName="Orders", **q)["Items"] == []
    assert stats(b)["l1"]["hits"] > 0 and stats(a)["l1"]["messages"] > 0


def test_a_dropped_subscription_empties_l1(two_proxies, redis_server):
    a, b, store = two_proxies
    da, db = client(a.url), client(b.url)
    create_orders(da)
    key = {"pk": {"S": "u1"}, "sk": {"N": "1"}}
    da.put_item(TableName="Orders", Item=order("u1", 1, "open", 1))
    db.get_item(TableName="Orders", Key=key)
    db.get_item(TableName="Orders", Key=key)  # now in B's L1
    hits = stats(b)["l1"]["hits"]
    # A write that no proxy sees (straight to the store), and Redis emptied behind B's back:
    # only B's L1 still holds the old answer, and it serves it.
    client(store.url).put_item(TableName="Orders", Item=order("u1", 1, "open", 2))
    redis_server.command("FLUSHALL")
    assert db.get_item(TableName="Orders", Key=key)["Item"]["amount"] == {"N": "1"}
    assert stats(b)["l1"]["hits"] == hits + 1
    flushes = stats(b)["l1"]["flushes"]
    redis_server.command("CLIENT", "KILL", "TYPE", "pubsub")
    # well inside the 60 s L1 TTL, B answers from the store again and its L1 was emptied
    assert wait_until(lambda: db.get_item(TableName="Orders", Key=key)["Item"]["amount"] == {"N": "2"})
    assert wait_until(lambda: stats(b)["l1"]["flushes"] >= flushes + 2 and stats(b)["l1"]["usable"])


def test_query_cache_over_moto(moto_url, proxy):
    reset_moto(moto_url)
    ddb = client(proxy.url)
    create_orders(ddb)
    ddb.put_item(TableName="Orders", Item=order("u1", 1, "open", 20))
    q = dict(IndexName="byStatus", KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
             ExpressionAttributeValues={":s": {"S": "open"}})
    assert run(ddb, "query", q)[1] == "miss"  # inside the put's tombstone (3 s): read, not kept
    assert wait_until(lambda: run(ddb, "query", q) == ([json.dumps(order("u1", 1, "open", 20), sort_keys=True)], "hit"))
    ddb.update_item(TableName="Orders", Key={"pk": {"S": "u1"}, "sk": {"N": "1"}}, UpdateExpression="SET #s = :c",
                    ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":c": {"S": "closed"}})
    items, status = run(ddb, "query", q)
    assert items == [] and status == "miss"
    # inside the GSI's tombstone the answer is read but not kept: GSI reads cannot be consistent
    assert run(ddb, "query", q)[1] == "miss"
    base = dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "u1"}})
    assert run(ddb, "query", base)[1] == "miss"
    assert run(ddb, "query", base)[1] == "hit"  # base-table fills read consistently and are kept
    ddb.delete_table(TableName="Orders")


def test_tombstones_keep_a_lagging_replica_out_of_the_cache(tmp_path, redis_server):
    """Over a store whose eventually consistent reads lag by a second (as DynamoDB's replicas
    can), reads right after a write through the proxy still see the write: base-table fills
    inside the tombstone read consistently, and GSI answers read there are never kept."""
    redis_server.command("FLUSHALL")
    store = start_store(tmp_path / "store", env={"DYNACACHE_REPLICA_LAG_MS": "1000"})
    proxy = start_proxy(store.url, config="cache:\n  default:\n    staleTime: 60000\n    tombstone: 1500\n")
    try:
        ddb = client(proxy.url)
        create_orders(ddb)
        key = {"pk": {"S": "u1"}, "sk": {"N": "1"}}
        gsi = dict(IndexName="byStatus", KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
                   ExpressionAttributeValues={":s": {"S": "open"}})
        base = dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "u1"}})
        for version in (1, 2, 3):
            ddb.put_item(TableName="Orders", Item=order("u1", 1, "open", version))
            assert ddb.get_item(TableName="Orders", Key=key)["Item"]["amount"] == {"N": str(version)}
            assert [i["amount"]["N"] for i in ddb.query(TableName="Orders", **base)["Items"]] == [str(version)]
            ddb.query(TableName="Orders", **gsi)  # may be the replica's older answer, and is not kept
            # past the tombstone and the lag the answer is kept; every answer on the way is the
            # replica's (lagging) one or the new one, and the one kept is the new one
            def kept():
                items, status = run(ddb, "query", gsi)
                amounts = [json.loads(i)["amount"]["N"] for i in items]
                assert amounts in ([str(version)], [str(version - 1)], []), amounts
                assert status != "hit" or amounts == [str(version)], (status, amounts)
                return status == "hit"
            assert wait_until(kept)
    finally:
        proxy.stop()
        store.stop()


def test_an_index_added_through_the_proxy_is_known_to_its_invalidation(tmp_path, redis_server):
    """UpdateTable through the proxy makes it forget the table's key schema: a GSI added later
    is cached, and a write that moves an item out of one of its partitions invalidates it (a
    proxy still holding the old schema would not know the index exists)."""
    redis_server.command("FLUSHALL")
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data")], config=SCANS_ON)
    try:
        ddb = client(proxy.url)
        ddb.create_table(TableName="Orders", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "N"}],
                         BillingMode="PAY_PER_REQUEST")
        ddb.put_item(TableName="Orders", Item=order("u1", 1, "open", 10))
        base = dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "u1"}})
        assert wait_until(lambda: run(ddb, "query", base)[1] == "hit")  # the schema is known now
        ddb.update_table(TableName="Orders", AttributeDefinitions=[{"AttributeName": "status", "AttributeType": "S"},
                                                                  {"AttributeName": "sk", "AttributeType": "N"}],
                         GlobalSecondaryIndexUpdates=[{"Create": {
                             "IndexName": "byStatus",
                             "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                                           {"AttributeName": "sk", "KeyType": "RANGE"}],
                             "Projection": {"ProjectionType": "ALL"}}}])
        assert wait_until(lambda: all(i["IndexStatus"] == "ACTIVE" for i in
                                      ddb.describe_table(TableName="Orders")["Table"]["GlobalSecondaryIndexes"]))
        gsi = dict(IndexName="byStatus", KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
                   ExpressionAttributeValues={":s": {"S": "open"}})
        assert wait_until(lambda: run(ddb, "query", gsi) == ([json.dumps(order("u1", 1, "open", 10), sort_keys=True)], "hit"))
        ddb.update_item(TableName="Orders", Key={"pk": {"S": "u1"}, "sk": {"N": "1"}}, UpdateExpression="SET #s = :c",
                        ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":c": {"S": "closed"}})
        assert run(ddb, "query", gsi)[0] == []  # not the cached answer from before the write
        assert run(ddb, "query", gsi, truth=True)[0] == []
    finally:
        proxy.stop()
