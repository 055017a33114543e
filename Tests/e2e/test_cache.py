"""The item cache end to end: boto3 through `dynacache serve` with a real redis-server, over the
embedded store (and moto for TransactWriteItems, which the embedded store does not serve yet)."""

import json
import threading
import time
import urllib.request

import pytest

from conftest import RedisServer, client, reset_moto, start_proxy, start_store


def create_users(ddb, **extra):
    """The Users table (pk S, sk N) most tests here read; on demand unless `extra` says otherwise."""
    ddb.create_table(TableName="Users", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                  {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     **(extra or {"BillingMode": "PAY_PER_REQUEST"}))


@pytest.fixture()
def cached(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data")])
    ddb = client(proxy.url)
    create_users(ddb)
    yield proxy, ddb
    proxy.stop()


def get(ddb, pk="u1", sk="1", **kwargs):
    r = ddb.get_item(TableName="Users", Key={"pk": {"S": pk}, "sk": {"N": sk}}, **kwargs)
    return r.get("Item"), r["ResponseMetadata"]["HTTPHeaders"].get("x-dynacache-cache")


def stats(proxy):
    return json.loads(urllib.request.urlopen(proxy.admin_url + "/stats", timeout=5).read())


def test_hits_misses_negatives_and_bypasses_are_marked_and_counted(cached):
    proxy, ddb = cached
    ddb.put_item(TableName="Users", Item={"pk": {"S": "u1"}, "sk": {"N": "1"}, "name": {"S": "Ada"}})
    assert get(ddb)[1] == "miss"
    item, status = get(ddb, sk="1.0")  # another spelling of the same key
    assert status == "hit" and item["name"] == {"S": "Ada"}
    assert get(ddb, pk="nobody") == (None, "miss")
    assert get(ddb, pk="nobody") == (None, "negative")
    assert get(ddb, ConsistentRead=True)[1] == "bypass"
    out = ddb.batch_get_item(RequestItems={"Users": {"Keys": [{"pk": {"S": "u1"}, "sk": {"N": "1"}}]}})
    assert out["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "hit"  # shares GetItem's entry
    out = ddb.batch_get_item(RequestItems={"Users": {"Keys": [{"pk": {"S": "u1"}, "sk": {"N": "1"}}], "ConsistentRead": True}})
    assert out["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "bypass"
    s = stats(proxy)
    t = s["tables"]["Users"]["GetItem"]
    assert (t["freshHits"], t["negativeHits"], t["misses"], t["bypass"]) == (1, 1, 2, 1)
    assert s["totals"]["hits"] == 3 and s["totals"]["misses"] == 2 and s["totals"]["hitRatio"] == 0.6
    assert s["redis"]["connected"] is True
    assert s["tables"]["Users"]["BatchGetItem"]["bypass"] == 1
    assert s["tables"]["Users"]["BatchGetItem"]["freshHits"] == 1


def test_batch_get_item_mixes_cached_and_fetched_keys(cached):
    proxy, ddb = cached
    for i in range(5):
        ddb.put_item(TableName="Users", Item={"pk": {"S": "b"}, "sk": {"N": str(i)}, "v": {"N": str(i)}})
    get(ddb, pk="b", sk="0")  # one key cached beforehand
    keys = [{"pk": {"S": "b"}, "sk": {"N": str(i)}} for i in range(7)]  # 5 and 6 do not exist

    def batch():
        out = ddb.batch_get_item(RequestItems={"Users": {"Keys": keys}})
        got = sorted(int(i["v"]["N"]) for i in out["Responses"]["Users"])
        return got, out["UnprocessedKeys"], out["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"]

    assert batch() == ([0, 1, 2, 3, 4], {}, "miss")
    assert batch() == ([0, 1, 2, 3, 4], {}, "hit")  # present and absent keys all from Redis
    t = stats(proxy)["tables"]["Users"]["BatchGetItem"]
    assert (t["freshHits"], t["negativeHits"], t["misses"]) == (1 + 5, 2, 6)
    # Writes invalidate what batches read, and GetItem sees the batch's fills.
    ddb.put_item(TableName="Users", Item={"pk": {"S": "b"}, "sk": {"N": "5"}, "v": {"N": "5"}})
    ddb.update_item(TableName="Users", Key={"pk": {"S": "b"}, "sk": {"N": "1"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "10"}})
    assert batch()[0] == [0, 2, 3, 4, 5, 10]
    assert get(ddb, pk="b", sk="3") == ({"pk": {"S": "b"}, "sk": {"N": "3"}, "v": {"N": "3"}}, "hit")
    # A projection without the key attributes is answered but not stored.
    out = ddb.batch_get_item(RequestItems={"Users": {"Keys": keys[:2], "ProjectionExpression": "v"}})
    assert sorted(int(i["v"]["N"]) for i in out["Responses"]["Users"]) == [0, 10]


def test_read_your_writes_after_every_write(cached):
    proxy, ddb = cached
    key = {"pk": {"S": "u1"}, "sk": {"N": "1"}}
    ddb.put_item(TableName="Users", Item={**key, "v": {"N": "1"}})
    assert get(ddb)[0]["v"] == {"N": "1"} and get(ddb)[1] == "hit"
    ddb.put_item(TableName="Users", Item={**key, "v": {"N": "2"}})
    assert get(ddb)[0]["v"] == {"N": "2"}
    ddb.update_item(TableName="Users", Key=key, UpdateExpression="SET v = v + :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    assert get(ddb)[0]["v"] == {"N": "3"}
    ddb.batch_write_item(RequestItems={"Users": [{"PutRequest": {"Item": {**key, "v": {"N": "4"}}}}]})
    assert get(ddb)[0]["v"] == {"N": "4"}
    ddb.batch_write_item(RequestItems={"Users": [{"DeleteRequest": {"Key": key}}]})
    assert get(ddb)[0] is None
    ddb.put_item(TableName="Users", Item={**key, "v": {"N": "5"}})
    assert get(ddb)[0]["v"] == {"N": "5"}  # the negative entry went too
    ddb.delete_item(TableName="Users", Key=key)
    assert get(ddb)[0] is None
    ddb.put_item(TableName="Users", Item={**key, "v": {"N": "6"}})
    assert get(ddb)[0]["v"] == {"N": "6"}
    ddb.delete_table(TableName="Users")
    create_users(ddb)
    assert get(ddb)[0] is None


def test_read_your_writes_after_transactions_and_resets(moto_url, proxy):
    reset_moto(moto_url)
    ddb = client(proxy.url)
    ddb.create_table(TableName="Tx", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="Tx", Item={"id": {"S": "a"}, "v": {"N": "1"}})
    assert ddb.get_item(TableName="Tx", Key={"id": {"S": "a"}})["Item"]["v"] == {"N": "1"}
    ddb.transact_write_items(TransactItems=[{"Update": {"TableName": "Tx", "Key": {"id": {"S": "a"}},
                                                        "UpdateExpression": "SET v = :v",
                                                        "ExpressionAttributeValues": {":v": {"N": "2"}}}}])
    assert ddb.get_item(TableName="Tx", Key={"id": {"S": "a"}})["Item"]["v"] == {"N": "2"}
    # An emulator reset forwarded through the proxy drops what the cache held.
    req = urllib.request.Request(proxy.url + "/moto-api/reset", method="POST", data=b"")
    urllib.request.urlopen(req, timeout=10).read()
    ddb.create_table(TableName="Tx", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert "Item" not in ddb.get_item(TableName="Tx", Key={"id": {"S": "a"}})


def test_redis_killed_and_restarted_under_load_gives_no_errors_and_no_stale_values(tmp_path):
    redis = RedisServer()
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data"), "--redis", redis.url])
    try:
        ddb = client(proxy.url)
        create_users(ddb)
        errors, stale = [], []
        latest = {}
        stop = threading.Event()

        def writer():
            c = client(proxy.url)
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    c.put_item(TableName="Users", Item={"pk": {"S": "hot"}, "sk": {"N": "1"}, "v": {"N": str(i)}})
                    latest["v"] = i
                except Exception as e:  # noqa: BLE001
                    errors.append(repr(e))
                time.sleep(0.005)

        def reader():
            c = client(proxy.url)
            while not stop.is_set():
                before = latest.get("v", 0)
                try:
                    item = c.get_item(TableName="Users", Key={"pk": {"S": "hot"}, "sk": {"N": "1"}}).get("Item")
                except Exception as e:  # noqa: BLE001
                    errors.append(repr(e))
                    continue
                if item and int(item["v"]["N"]) < before:
                    stale.append((before, item["v"]["N"]))

        threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        redis.stop()
        time.sleep(1.0)
        redis.start()
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join()
        assert errors == []
        assert stale == []
        assert latest["v"] > 50
        assert stats(proxy)["redis"]["connected"] is True
    finally:
        proxy.stop()
        redis.stop()


def test_concurrent_misses_joined_into_batches_answer_as_their_own_reads(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    # Every upstream read takes 40 ms, so the 40 clients' misses overlap and batches form (that
    # they do is certain in held_misses' tests below; this one checks 40 racing clients' answers).
    store = start_store(tmp_path / "store", env={"DYNACACHE_LATENCY": "40"})
    proxy = start_proxy(store.url, env={"DYNACACHE_MISS_BATCH_WINDOW_US": "3000"})
    try:
        ddb = client(proxy.url)
        create_users(ddb)
        for i in range(0, 40, 2):  # even keys exist, odd ones do not
            ddb.put_item(TableName="Users", Item={"pk": {"S": f"u{i}"}, "sk": {"N": "1"}, "n": {"N": str(i)}})
        results, errors = {}, []

        def read(i):
            try:
                c = client(proxy.url)
                for _ in range(3):  # the same key twice in a row joins one slot
                    results[i] = get(c, pk=f"u{i}")
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=read, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        for i in range(40):
            item, _ = results[i]
            assert (item["n"]["N"] if item else None) == (str(i) if i % 2 == 0 else None), i
        batching = stats(proxy)["missBatching"]
        assert int(batching["batchedKeys"]) >= 2 * int(batching["batches"])  # only joined misses count
    finally:
        proxy.stop()
        store.stop()


def test_a_redis_that_kept_its_data_over_a_restart_serves_nothing_older_than_the_writes_it_missed(tmp_path):
    """Redis with an append-only file comes back with every entry it held, including ones that
    writes made while it was down should have invalidated. The proxy learns of the restart
    (a new run id) before it uses the new connection, and trusts none of them."""
    from conftest import wait_until
    (tmp_path / "redis").mkdir()
    redis = RedisServer(persistent_dir=tmp_path / "redis")
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data"), "--redis", redis.url],
                        config="cache:\n  default:\n    staleTime: 600000\n    tombstone: 0\n")
    try:
        ddb = client(proxy.url)
        create_users(ddb)
        ddb.put_item(TableName="Users", Item={"pk": {"S": "u1"}, "sk": {"N": "1"}, "v": {"S": "before"}})
        assert wait_until(lambda: get(ddb) == ({"pk": {"S": "u1"}, "sk": {"N": "1"}, "v": {"S": "before"}}, "hit"))
        redis.stop()  # SIGKILL: the entry is on disk (appendfsync always)
        assert wait_until(lambda: not stats(proxy)["redis"]["connected"])
        ddb.put_item(TableName="Users", Item={"pk": {"S": "u1"}, "sk": {"N": "1"}, "v": {"S": "after"}})
        assert get(ddb)[0]["v"] == {"S": "after"}  # Redis down: answered by the store
        redis.start()
        assert int(redis.command("DBSIZE").split(b":")[1].split(b"\r")[0]) > 0  # the old entry is back
        assert wait_until(lambda: stats(proxy)["redis"]["connected"])
        for _ in range(5):
            item, status = get(ddb)
            assert item["v"] == {"S": "after"}, status
        assert wait_until(lambda: get(ddb)[1] == "hit")  # and the cache works again
        assert get(ddb)[0]["v"] == {"S": "after"}
    finally:
        proxy.stop()
        redis.stop()


def held_misses(tmp_path, keys, store_env=None, provisioned=None, **control):
    """Misses for `keys` through a proxy whose upstream holds the first GetItem until all the
    others have missed too: they certainly meet in one pending BatchGetItem behind it (a 3 s
    window), whatever the machine's speed. `control` says how the upstream misbehaves after.
    Returns (answers by key, the proxy's missBatching stats, upstream counts)."""
    from conftest import start_misbehaving_upstream, wait_until
    store = start_store(tmp_path / "s", env=store_env)
    holder = start_misbehaving_upstream(store.url)
    proxy = start_proxy(holder.url, env={"DYNACACHE_MISS_BATCH_WINDOW_US": "3000000"})
    try:
        direct = client(store.url)
        extra = {"BillingMode": "PROVISIONED", "ProvisionedThroughput": provisioned} if provisioned else \
            {"BillingMode": "PAY_PER_REQUEST"}
        create_users(direct, **extra)
        for k in keys:
            if not k.startswith("absent"):
                direct.put_item(TableName="Users", Item={"pk": {"S": k}, "sk": {"N": "1"}, "v": {"S": k}})
        holder.control(hold=["GetItem"], **control)
        answers, errors = {}, []

        def read(k):
            try:
                answers[k] = get(client(proxy.url), pk=k)[0]
            except Exception as e:  # noqa: BLE001 - asserted below
                errors.append(repr(e))

        first = threading.Thread(target=read, args=(keys[0],))
        first.start()
        assert wait_until(lambda: holder.counts()["held"] == 1)  # alone, and held
        rest = [threading.Thread(target=read, args=(k,)) for k in keys[1:]]
        for t in rest:
            t.start()
        assert wait_until(lambda: stats(proxy)["totals"]["misses"] >= len(keys))
        holder.release()
        for t in [first, *rest]:
            t.join()
        assert errors == []
        return answers, stats(proxy)["missBatching"], holder.counts()
    finally:
        proxy.stop()
        holder.stop()
        store.stop()


def expected(k):
    return None if k.startswith("absent") else {"pk": {"S": k}, "sk": {"N": "1"}, "v": {"S": k}}


def test_a_failed_miss_batch_falls_back_to_one_getitem_per_key(tmp_path):
    keys = [f"u{i}" for i in range(8)] + ["absent1", "absent2"]
    answers, batching, counts = held_misses(tmp_path, keys, apply_then_fail=["BatchGetItem"])
    assert answers == {k: expected(k) for k in keys}  # each as its own GetItem would have answered
    assert int(batching["batches"]) >= 1
    assert counts["forwarded"].get("BatchGetItem", 0) >= 1  # the batch was sent, and failed
    assert counts["forwarded"]["GetItem"] >= len(keys)  # the first alone, then each key again


def test_unprocessed_keys_of_a_miss_batch_are_read_on_their_own(tmp_path):
    # 10 RCU, one second of burst: a batch of 40 eventually consistent reads (20 units) comes
    # back about half unprocessed; those keys are read alone (throttled, retried by the proxy)
    keys = [f"u{i}" for i in range(40)]
    answers, batching, counts = held_misses(tmp_path, keys, store_env={"DYNACACHE_CAPACITY_BURST_S": "1"},
                                            provisioned={"ReadCapacityUnits": 10, "WriteCapacityUnits": 100})
    assert answers == {k: expected(k) for k in keys}
    assert int(batching["batches"]) >= 1 and counts["forwarded"].get("BatchGetItem", 0) >= 1
    assert counts["forwarded"]["GetItem"] > 1  # some keys came back unprocessed and went alone
