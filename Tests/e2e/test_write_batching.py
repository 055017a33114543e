"""The write pipeline end to end: boto3 clients through `dynacache serve`, batching into
BatchWriteItem over the embedded store (or `dynacache store` with provisioned capacity), with and
without same-key coalescing; each client answered as its own PutItem/DeleteItem would be."""

import json
import threading
import time
import urllib.request

from conftest import client, start_misbehaving_upstream, start_proxy, start_store, wait_until


def stats(proxy):
    return json.loads(urllib.request.urlopen(proxy.admin_url + "/stats", timeout=5).read())


def create(ddb, name="Hot", stream=True, provisioned=None):
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    if provisioned:
        extra.update(BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 50, "WriteCapacityUnits": provisioned})
    else:
        extra.update(BillingMode="PAY_PER_REQUEST")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], **extra)


def stream_records(ddb, streams, name="Hot"):
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    out = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            r = streams.get_records(ShardIterator=it)
            out += r["Records"]
            it = r.get("NextShardIterator") if r["Records"] else None
    return out


def run_threads(target, n):
    errors = []

    def wrapped(i):
        try:
            target(i)
        except Exception as e:  # noqa: BLE001 - collected and asserted
            errors.append(repr(e))

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def hot_keys_workload(proxy, store_url, coalesce):
    ddb = client(proxy.url)
    create(ddb)
    keys, per_key = 4, 15
    answers = []

    def writer(i):  # one writer per key writes 1..N in order; others hammer other keys
        c = client(proxy.url)
        key = f"k{i % keys}"
        if i < keys:
            for n in range(1, per_key + 1):
                r = c.put_item(TableName="Hot", Item={"id": {"S": key}, "n": {"N": str(n)}})
                answers.append(r)
        else:
            for n in range(per_key):
                r = c.put_item(TableName="Hot", Item={"id": {"S": f"other{i}-{n % 3}"}, "n": {"N": str(n)}})
                answers.append(r)
                if n % 5 == 4:
                    c.delete_item(TableName="Hot", Key={"id": {"S": f"other{i}-{n % 3}"}})

    errors = run_threads(writer, 12)
    assert errors == []
    assert all(a["ResponseMetadata"]["HTTPStatusCode"] == 200 and "Attributes" not in a for a in answers)
    direct = client(store_url) if store_url else ddb
    for k in range(keys):
        item = direct.get_item(TableName="Hot", Key={"id": {"S": f"k{k}"}}, ConsistentRead=True)["Item"]
        assert item["n"] == {"N": str(per_key)}  # the last write per key
        # and through the proxy's cache too
        assert ddb.get_item(TableName="Hot", Key={"id": {"S": f"k{k}"}})["Item"]["n"] == {"N": str(per_key)}
    return stats(proxy)["writes"]


def held_writes(tmp_path, env, items):
    """Puts `items` (one client thread each) through a proxy whose upstream holds every
    BatchWriteItem until all of them reached the proxy: the writes certainly meet in its queue,
    whatever the machine's speed. Returns the proxy's write stats, the stream's records and
    the table's items read straight from the store."""
    store = start_store(tmp_path / "s")
    holder = start_misbehaving_upstream(store.url)
    proxy = start_proxy(holder.url, env=env)
    try:
        create(client(store.url))
        holder.control(hold=["BatchWriteItem"])

        def put(i):
            client(proxy.url).put_item(TableName="Hot", Item=items[i])

        results = []
        runner = threading.Thread(target=lambda: results.append(run_threads(put, len(items))))
        runner.start()
        assert wait_until(lambda: stats(proxy)["writes"]["clientWrites"] == len(items) and holder.counts()["held"] >= 1)
        holder.release()
        runner.join()
        assert results == [[]]  # every client answered, none with an error
        direct = client(store.url)
        records = stream_records(direct, client(store.url, "dynamodbstreams"))
        return stats(proxy)["writes"], records, direct.scan(TableName="Hot", ConsistentRead=True)["Items"]
    finally:
        proxy.stop()
        holder.stop()
        store.stop()


def test_writes_that_arrive_while_a_batch_is_out_go_together(tmp_path):
    items = [{"id": {"S": f"k{i}"}} for i in range(12)]
    w, records, stored = held_writes(tmp_path, {}, items)
    # sendWhenIdle: the first batch went out alone and was held; the others met in the queue
    # behind it (at most four batches are out at once, so at most four went alone)
    assert w["clientWrites"] == 12 and w["upstreamWriteRequests"] <= 5, w
    assert sum(w["itemsPerBatch"][b] for b in ("2-5", "6-10", "11-20", "21-25")) >= 1, w
    assert w["coalesced"] == 0 and len(records) == 12
    assert sorted(x["id"]["S"] for x in stored) == sorted(f"k{i}" for i in range(12))


def test_concurrent_writers_are_each_answered_in_order(tmp_path, redis_server):
    redis_server.command("FLUSHALL")
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data")])
    try:
        w = hot_keys_workload(proxy, None, coalesce=False)
        assert w["clientWrites"] >= 12 * 15 and w["upstreamWriteRequests"] <= w["clientWrites"]
        assert w["coalesced"] == 0
        # without coalescing the stream has one record per write of the ordered keys, in order
        ddb, streams = client(proxy.url), client(proxy.url, "dynamodbstreams")
        records = stream_records(ddb, streams)
        for k in range(4):
            ns = [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in records
                  if r["dynamodb"]["Keys"]["id"]["S"] == f"k{k}"]
            assert ns == list(range(1, 16))
    finally:
        proxy.stop()


def test_coalescing_folds_writes_to_one_key(tmp_path):
    # 16 clients write one key while the first batch is held: the 15 behind it fold into one
    items = [{"id": {"S": "same"}, "by": {"N": str(i)}} for i in range(16)]
    w, records, stored = held_writes(tmp_path, {"DYNACACHE_WRITE_COALESCE": "true"}, items)
    assert w["coalesced"] > 0 and w["upstreamWriteRequests"] < 16, w
    assert 1 <= len(records) < 16  # fewer records than writes: what coalescing changes
    assert len(stored) == 1 and records[-1]["dynamodb"]["NewImage"] == stored[0]


def test_an_invalid_item_fails_only_its_own_client(tmp_path, redis_server):
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data")],
                        env={"DYNACACHE_WRITE_WINDOW_MS": "30", "DYNACACHE_WRITE_SEND_WHEN_IDLE": "false"})
    try:
        create(client(proxy.url), stream=False)
        results = {}

        def writer(i):
            c = client(proxy.url)
            item = {"id": {"S": f"w{i}"}}
            if i == 3:
                item["tags"] = {"SS": ["x", "x"]}  # DynamoDB refuses duplicate set members
            if i == 5:
                item = {"id": {"N": "5"}}  # wrong key type
            try:
                c.put_item(TableName="Hot", Item=item)
                results[i] = "ok"
            except c.exceptions.ClientError as e:
                results[i] = e.response["Error"]["Code"]

        assert run_threads(writer, 10) == []
        assert results == {i: ("ValidationException" if i in (3, 5) else "ok") for i in range(10)}
        ddb = client(proxy.url)
        assert sorted(x["id"]["S"] for x in ddb.scan(TableName="Hot", ConsistentRead=True)["Items"]) == \
            sorted(f"w{i}" for i in range(10) if i not in (3, 5))
    finally:
        proxy.stop()


def test_a_burst_on_a_small_provisioned_table_completes_without_client_errors(tmp_path, redis_server):
    store = start_store(tmp_path / "s", env={"DYNACACHE_CAPACITY_BURST_S": "1"})
    proxy = start_proxy(store.url)
    try:
        create(client(store.url), provisioned=10, stream=False)

        def writer(i):
            c = client(proxy.url)  # boto3's own retries off
            for n in range(3):
                c.put_item(TableName="Hot", Item={"id": {"S": f"b{i}-{n}"}})

        start = time.time()
        errors = run_threads(writer, 8)  # 24 writes at 10 WCU (10 of burst): well inside the 3 s deadline
        assert errors == [], (time.time() - start, stats(proxy)["writes"], stats(proxy)["retries"])
        assert len(client(store.url).scan(TableName="Hot", ConsistentRead=True)["Items"]) == 24
        w = stats(proxy)["writes"]
        throttles = stats(proxy)["retries"]["retriesByReason"].get("ProvisionedThroughputExceededException", 0)
        # 24 units from a bucket of 10 refilling at 10/s: throttled unless the writes took 1.4 s anyway
        assert w["resubmits"] > 0 or throttles > 0 or time.time() - start >= 1.4  # and no client saw it
    finally:
        proxy.stop()
        store.stop()


def test_ordered_with_pass_through_writes(tmp_path, redis_server):
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data")],
                        env={"DYNACACHE_WRITE_WINDOW_MS": "1000", "DYNACACHE_WRITE_SEND_WHEN_IDLE": "false"})
    try:
        ddb = client(proxy.url)
        create(ddb, stream=False)
        done = []

        def batched():
            client(proxy.url).put_item(TableName="Hot", Item={"id": {"S": "k"}, "n": {"N": "1"}})
            done.append("put")

        t = threading.Thread(target=batched)
        t.start()
        # the put waits in its window (long, so the update surely meets it there)
        assert wait_until(lambda: stats(proxy)["writes"]["clientWrites"] == 1)
        # an update of the same key passes through, but only after the queued put
        ddb.update_item(TableName="Hot", Key={"id": {"S": "k"}}, UpdateExpression="ADD n :one",
                        ExpressionAttributeValues={":one": {"N": "1"}})
        t.join()
        assert ddb.get_item(TableName="Hot", Key={"id": {"S": "k"}}, ConsistentRead=True)["Item"]["n"] == {"N": "2"}
    finally:
        proxy.stop()
