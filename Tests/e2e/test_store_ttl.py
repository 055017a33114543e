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
