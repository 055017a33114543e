"""Time to live and injected latency on the embedded store, through boto3.

moto implements UpdateTimeToLive / DescribeTimeToLive but has no sweeper; the sweeper is
checked against DynamoDB's documentation: expired items are deleted in the background and stay
readable until then, items expired more than five years ago are left alone, and each deletion's
stream record carries userIdentity {type: Service, principalId: dynamodb.amazonaws.com}."""

import statistics
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from conftest import DYNACACHE, client, reset_moto, start_store

FIVE_YEARS = 5 * 365 * 24 * 3600


def create(ddb, stream=False):
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    ddb.create_table(TableName="Sessions", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", **extra)


def test_update_and_describe_time_to_live_match_moto(store, moto_url):
    reset_moto(moto_url)
    for url in (store.url, moto_url):
        ddb = client(url)
        create(ddb)
        assert ddb.describe_time_to_live(TableName="Sessions")["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
        r = ddb.update_time_to_live(TableName="Sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        assert r["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
        d = ddb.describe_time_to_live(TableName="Sessions")["TimeToLiveDescription"]
        assert d == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}, url
        ddb.delete_table(TableName="Sessions")


def test_time_to_live_is_refused_twice_and_unknown_tables(store):
    ddb = client(store.url)
    create(ddb)
    ddb.update_time_to_live(TableName="Sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    for spec in ({"Enabled": True, "AttributeName": "exp"}, {"Enabled": False, "AttributeName": "other"}):
        with pytest.raises(ClientError) as refused:
            ddb.update_time_to_live(TableName="Sessions", TimeToLiveSpecification=spec)
        assert refused.value.response["Error"]["Code"] == "ValidationException"
    ddb.update_time_to_live(TableName="Sessions", TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    assert ddb.describe_time_to_live(TableName="Sessions")["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    with pytest.raises(ClientError) as missing:
        ddb.describe_time_to_live(TableName="Nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_sweeper_deletes_expired_items_and_says_so_in_the_stream(tmp_path):
    svc = start_store(tmp_path / "s", env={"DYNACACHE_TTL_SWEEP_INTERVAL_S": "0.3"})
    try:
        ddb, streams = client(svc.url), client(svc.url, "dynamodbstreams")
        create(ddb, stream=True)
        now = int(time.time())
        items = {
            "old": {"N": str(now - 10)},
            "backfilled": {"N": str(now - 20)},
            "future": {"N": str(now + 3600)},
            "ancient": {"N": str(now - FIVE_YEARS - 3600)},  # ignored, as DynamoDB ignores it
            "text": {"S": str(now - 10)},                     # not a number: never expires
        }
        ddb.put_item(TableName="Sessions", Item={"id": {"S": "backfilled"}, "exp": items["backfilled"]})
        ddb.update_time_to_live(TableName="Sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        for name, exp in items.items():
            if name != "backfilled":
                ddb.put_item(TableName="Sessions", Item={"id": {"S": name}, "exp": exp})
        ddb.put_item(TableName="Sessions", Item={"id": {"S": "none"}})

        def remaining():
            return sorted(i["id"]["S"] for i in ddb.scan(TableName="Sessions", ConsistentRead=True)["Items"])

        deadline = time.time() + 10
        while time.time() < deadline and remaining() != ["ancient", "future", "none", "text"]:
            time.sleep(0.2)
        assert remaining() == ["ancient", "future", "none", "text"]
        arn = ddb.describe_table(TableName="Sessions")["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = streams.get_records(ShardIterator=it)["Records"]
        removes = [r for r in records if r["eventName"] == "REMOVE"]
        assert sorted(r["dynamodb"]["Keys"]["id"]["S"] for r in removes) == ["backfilled", "old"]
        for r in removes:
            assert r["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
            assert r["dynamodb"]["OldImage"]["exp"]["N"]
        assert all("userIdentity" not in r for r in records if r["eventName"] != "REMOVE")
    finally:
        svc.stop()


def test_expired_items_stay_readable_until_swept(tmp_path):
    svc = start_store(tmp_path / "s", env={"DYNACACHE_TTL_SWEEP_INTERVAL_S": "3600"})
    try:
        ddb = client(svc.url)
        create(ddb)
        ddb.update_time_to_live(TableName="Sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        ddb.put_item(TableName="Sessions", Item={"id": {"S": "gone"}, "exp": {"N": str(int(time.time()) - 60)}})
        assert ddb.get_item(TableName="Sessions", Key={"id": {"S": "gone"}})["Item"]["id"] == {"S": "gone"}
    finally:
        svc.stop()


def test_injected_latency(tmp_path):
    svc = start_store(tmp_path / "s", env={"DYNACACHE_LATENCY": "60±5"})
    try:
        ddb = client(svc.url)
        create(ddb)
        took = []
        for _ in range(5):
            start = time.perf_counter()
            ddb.get_item(TableName="Sessions", Key={"id": {"S": "x"}})
            took.append(time.perf_counter() - start)
        assert statistics.median(took) >= 0.055  # the delay is there; how fast the rest is, is not asserted
    finally:
        svc.stop()
    bad = subprocess.run([DYNACACHE, "store", "--latency", "fast", "--data", str(tmp_path / "b")],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "MS or MS±MS" in (bad.stderr + bad.stdout)


def test_replica_lag_is_seen_by_eventually_consistent_reads_and_never_by_consistent_ones(tmp_path):
    svc = start_store(tmp_path / "s", env={"DYNACACHE_REPLICA_LAG_MS": "1500"})
    try:
        ddb = client(svc.url)
        ddb.create_table(
            TableName="Lagged", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}],
            BillingMode="PAY_PER_REQUEST")
        key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
        ddb.put_item(TableName="Lagged", Item={**key, "v": {"N": "1"}, "g": {"S": "x"}})

        def views():
            get = ddb.get_item(TableName="Lagged", Key=key).get("Item")
            strong = ddb.get_item(TableName="Lagged", Key=key, ConsistentRead=True).get("Item")
            query = ddb.query(TableName="Lagged", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})["Items"]
            strong_query = ddb.query(TableName="Lagged", KeyConditionExpression="pk = :p",
                                     ExpressionAttributeValues={":p": {"S": "a"}}, ConsistentRead=True)["Items"]
            gsi = ddb.query(TableName="Lagged", IndexName="byG", KeyConditionExpression="g = :g",
                            ExpressionAttributeValues={":g": {"S": "x"}})["Items"]
            scan = ddb.scan(TableName="Lagged")["Items"]
            batch = ddb.batch_get_item(RequestItems={"Lagged": {"Keys": [key]}})["Responses"]["Lagged"]
            v = lambda item: item["v"]["N"] if item else None  # noqa: E731
            return {"get": v(get), "strong": v(strong), "query": [v(i) for i in query], "strongQuery": [v(i) for i in strong_query],
                    "gsi": [v(i) for i in gsi], "scan": [v(i) for i in scan], "batch": [v(i) for i in batch]}

        # just written: consistent reads see it, the replica does not have it yet
        seen = views()
        assert seen["strong"] == "1" and seen["strongQuery"] == ["1"]
        assert seen["get"] is None and seen["query"] == [] and seen["gsi"] == [] and seen["scan"] == [] and seen["batch"] == []
        time.sleep(1.6)
        assert views() == {"get": "1", "strong": "1", "query": ["1"], "strongQuery": ["1"], "gsi": ["1"], "scan": ["1"], "batch": ["1"]}
        ddb.update_item(TableName="Lagged", Key=key, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
        seen = views()
        assert seen["strong"] == "2" and seen["get"] == "1" and seen["gsi"] == ["1"]  # the old value, not nothing
        ddb.delete_item(TableName="Lagged", Key=key)
        assert ddb.get_item(TableName="Lagged", Key=key, ConsistentRead=True).get("Item") is None
        time.sleep(1.6)
        assert views() == {"get": None, "strong": None, "query": [], "strongQuery": [], "gsi": [], "scan": [], "batch": []}
    finally:
        svc.stop()
