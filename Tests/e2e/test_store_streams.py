"""DynamoDB Streams on the embedded store, through boto3's `dynamodbstreams` client: records for
every kind of write in each view type, shard lineage across rollovers, iterator expiry,
retention, disable/enable, durability across kill -9; compared with moto_server where moto
implements the feature.

moto departs from DynamoDB's documentation here, and the store follows the documentation:
- moto has one shard and never rolls it over, never expires iterators and keeps records forever;
  those behaviours are checked against the store alone, with the settings shrunk to seconds.
- moto writes a MODIFY record for a PutItem that changed nothing; DynamoDB's documentation says
  no record is written when no data changed. moto's are dropped before comparing.
- moto writes eventVersion 1.0; DynamoDB writes 1.1.
"""

import os
import signal
import time

import pytest
from botocore.exceptions import ClientError

from conftest import client, reset_moto, start_proxy, start_store


def create(ddb, name="Events", view="NEW_AND_OLD_IMAGES"):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def writes(ddb, name="Events"):
    key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    ddb.put_item(TableName=name, Item={**key, "v": {"S": "one"}})                      # INSERT
    ddb.update_item(TableName=name, Key=key, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"S": "two"}})                     # MODIFY
    ddb.put_item(TableName=name, Item={**key, "v": {"S": "two"}})                      # nothing changed
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}]})
    ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": name, "Key": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}])
    ddb.delete_item(TableName=name, Key=key)                                            # REMOVE
    ddb.delete_item(TableName=name, Key={"pk": {"S": "nobody"}, "sk": {"N": "0"}})     # nothing there


def read_all(streams, arn):
    """Every record of every shard, parents before children, each shard read to its end."""
    shards = []
    start = None
    while True:
        kwargs = {"ExclusiveStartShardId": start} if start else {}
        d = streams.describe_stream(StreamArn=arn, **kwargs)["StreamDescription"]
        shards += d["Shards"]
        start = d.get("LastEvaluatedShardId")
        if not start:
            break
    ids = {s["ShardId"] for s in shards}
    done, order, records = set(), [], []
    while len(done) < len(shards):
        for s in shards:
            parent = s.get("ParentShardId")
            if s["ShardId"] in done or (parent in ids and parent not in done):
                continue
            it = streams.get_shard_iterator(StreamArn=arn, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it:
                r = streams.get_records(ShardIterator=it)
                records += r["Records"]
                it = r.get("NextShardIterator")
                if not r["Records"] and "EndingSequenceNumber" not in s["SequenceNumberRange"]:
                    break  # an open shard, read up to now
            done.add(s["ShardId"])
            order.append(s["ShardId"])
    return records, shards


def summary(records):
    return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"].get("OldImage", {}).get("v", {}).get("S"),
             r["dynamodb"].get("NewImage", {}).get("v", {}).get("S")) for r in records]


EXPECTED = [("INSERT", "a", None, "one"), ("MODIFY", "a", "one", "two"), ("INSERT", "b", None, None),
            ("REMOVE", "b", None, None), ("REMOVE", "a", "two", None)]


def test_records_match_moto_for_every_kind_of_write(store, moto_url):
    reset_moto(moto_url)
    for url in (store.url, moto_url):
        ddb, streams = client(url), client(url, "dynamodbstreams")
        arn = create(ddb)
        writes(ddb)
        records, _ = read_all(streams, arn)
        if url == moto_url:  # moto records writes that changed nothing; DynamoDB does not
            records = [r for r in records if r["dynamodb"].get("OldImage") != r["dynamodb"].get("NewImage")
                       or r["eventName"] != "MODIFY"]
        assert summary(records) == EXPECTED, "moto" if url == moto_url else "store"
        for r in records:
            assert r["eventSource"] == "aws:dynamodb" and len(r["eventID"]) >= 1
            assert r["eventVersion"] == ("1.0" if url == moto_url else "1.1")  # DynamoDB writes 1.1
            d = r["dynamodb"]
            assert d["StreamViewType"] == "NEW_AND_OLD_IMAGES" and d["SizeBytes"] > 0
            assert len(d["SequenceNumber"]) >= 21 and d["ApproximateCreationDateTime"].year >= 2024
        seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        listed = client(url, "dynamodbstreams").list_streams(TableName="Events")["Streams"]
        assert [s["StreamArn"] for s in listed] == [arn]
        described = streams.describe_stream(StreamArn=arn)["StreamDescription"]
        assert described["StreamStatus"] == "ENABLED" and described["TableName"] == "Events"
        assert [k["AttributeName"] for k in described["KeySchema"]] == ["pk", "sk"]


@pytest.mark.parametrize("view,old,new", [("KEYS_ONLY", False, False), ("NEW_IMAGE", False, True),
                                          ("OLD_IMAGE", True, False)])
def test_view_types_carry_what_they_name(store, view, old, new):
    ddb, streams = client(store.url), client(store.url, "dynamodbstreams")
    arn = create(ddb, view=view)
    writes(ddb)
    records, _ = read_all(streams, arn)
    assert [r["eventName"] for r in records] == [e[0] for e in EXPECTED]
    for r in records:
        d = r["dynamodb"]
        assert set(d["Keys"]) == {"pk", "sk"} and d["StreamViewType"] == view
        assert ("OldImage" in d) == (old and r["eventName"] != "INSERT")
        assert ("NewImage" in d) == (new and r["eventName"] != "REMOVE")


def test_a_consumer_following_lineage_reads_every_record_once_across_rollovers(tmp_path):
    svc = start_store(tmp_path / "s", env={"DYNACACHE_STREAM_SHARD_PERIOD_S": "0.7"})
    try:
        ddb, streams = client(svc.url), client(svc.url, "dynamodbstreams")
        arn = create(ddb)
        for i in range(60):
            ddb.put_item(TableName="Events", Item={"pk": {"S": f"k{i}"}, "sk": {"N": "0"}, "n": {"N": str(i)}})
            time.sleep(0.05)
        records, shards = read_all(streams, arn)
        assert [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in records] == list(range(60))
        assert len(shards) >= 3
        closed = [s for s in shards if "EndingSequenceNumber" in s["SequenceNumberRange"]]
        assert len(closed) == len(shards) - 1  # one open shard, every other closed and handed over
        children = [s for s in shards if s.get("ParentShardId")]
        assert len(children) == len(shards) - 1
        # DescribeStream pages through the shards one at a time, in the same order
        paged, start = [], None
        while True:
            d = streams.describe_stream(StreamArn=arn, Limit=1, **({"ExclusiveStartShardId": start} if start else {}))
            paged += [x["ShardId"] for x in d["StreamDescription"]["Shards"]]
            start = d["StreamDescription"].get("LastEvaluatedShardId")
            if not start:
                break
        # Shards keep rolling over (every 0.7 s) while this pages: the listing taken earlier is a
        # prefix of the paged one, which may have grown by new children at the end.
        assert paged[:len(shards)] == [x["ShardId"] for x in shards]
        # a closed shard read to its end gives no next iterator
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=closed[0]["ShardId"], ShardIteratorType="LATEST")["ShardIterator"]
        assert "NextShardIterator" not in streams.get_records(ShardIterator=it)
    finally:
        svc.stop()


def test_iterators_expire_and_old_records_are_trimmed(tmp_path):
    svc = start_store(tmp_path / "s", env={"DYNACACHE_STREAM_ITERATOR_LIFETIME_S": "1",
                                           "DYNACACHE_STREAM_RETENTION_S": "2"})
    try:
        ddb, streams = client(svc.url), client(svc.url, "dynamodbstreams")
        arn = create(ddb)
        ddb.put_item(TableName="Events", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        first = streams.get_records(ShardIterator=it)["Records"][0]["dynamodb"]["SequenceNumber"]
        time.sleep(1.3)
        with pytest.raises(ClientError) as expired:
            streams.get_records(ShardIterator=it)
        assert expired.value.response["Error"]["Code"] == "ExpiredIteratorException"
        time.sleep(1.2)  # past retention
        streams.list_streams()  # any Streams call trims
        with pytest.raises(ClientError) as trimmed:
            streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                       SequenceNumber=first)
        assert trimmed.value.response["Error"]["Code"] == "TrimmedDataAccessException"
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        assert streams.get_records(ShardIterator=it)["Records"] == []
        with pytest.raises(ClientError) as bad:
            streams.get_records(ShardIterator="not an iterator")
        assert bad.value.response["Error"]["Code"] == "ValidationException"
    finally:
        svc.stop()


def test_disable_and_enable_make_a_new_stream(store):
    ddb, streams = client(store.url), client(store.url, "dynamodbstreams")
    first = create(ddb)
    ddb.put_item(TableName="Events", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    ddb.update_table(TableName="Events", StreamSpecification={"StreamEnabled": False})
    assert "StreamSpecification" not in ddb.describe_table(TableName="Events")["Table"]
    ddb.put_item(TableName="Events", Item={"pk": {"S": "b"}, "sk": {"N": "1"}})  # no stream: no record
    with pytest.raises(ClientError):
        ddb.update_table(TableName="Events", StreamSpecification={"StreamEnabled": False})
    ddb.update_table(TableName="Events", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    second = ddb.describe_table(TableName="Events")["Table"]["LatestStreamArn"]
    assert second != first
    ddb.put_item(TableName="Events", Item={"pk": {"S": "c"}, "sk": {"N": "1"}})
    old = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert old["StreamStatus"] == "DISABLED"
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in old["Shards"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, first)[0]] == ["a"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, second)[0]] == ["c"]
    assert {s["StreamArn"] for s in streams.list_streams(TableName="Events")["Streams"]} == {first, second}
    page = streams.list_streams(TableName="Events", Limit=1)
    assert len(page["Streams"]) == 1 and page["LastEvaluatedStreamArn"] == page["Streams"][0]["StreamArn"]
    rest = streams.list_streams(TableName="Events", ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"])
    assert {s["StreamArn"] for s in page["Streams"] + rest["Streams"]} == {first, second} and "LastEvaluatedStreamArn" not in rest
    ddb.delete_table(TableName="Events")  # the stream outlives the table, disabled
    assert streams.describe_stream(StreamArn=second)["StreamDescription"]["StreamStatus"] == "DISABLED"
    with pytest.raises(ClientError) as missing:
        streams.describe_stream(StreamArn=first + "x")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_records_survive_kill_9(tmp_path):
    svc = start_store(tmp_path / "s")
    ddb = client(svc.url)
    arn = create(ddb)
    for i in range(20):
        ddb.put_item(TableName="Events", Item={"pk": {"S": f"k{i}"}, "sk": {"N": "0"}})
    os.kill(svc.proc.pid, signal.SIGKILL)
    svc.proc.wait()
    svc = start_store(tmp_path / "s", port=svc.port)
    try:
        records, _ = read_all(client(svc.url, "dynamodbstreams"), arn)
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == [f"k{i}" for i in range(20)]
        ddb = client(svc.url)
        ddb.put_item(TableName="Events", Item={"pk": {"S": "after"}, "sk": {"N": "0"}})
        records, _ = read_all(client(svc.url, "dynamodbstreams"), arn)
        assert records[-1]["dynamodb"]["Keys"]["pk"]["S"] == "after" and len(records) == 21
    finally:
        svc.stop()


def test_streams_through_the_proxy(tmp_path, redis_server):
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "data")])
    try:
        ddb, streams = client(proxy.url), client(proxy.url, "dynamodbstreams")
        arn = create(ddb)
        writes(ddb)
        assert summary(read_all(streams, arn)[0]) == EXPECTED
    finally:
        proxy.stop()


def test_an_empty_shard_that_closed_hands_over_too(tmp_path):
    """Found by the change-stream consumer: a shard closed with no records must end (no
    NextShardIterator), or a consumer following lineage never reaches its child."""
    svc = start_store(tmp_path / "s", env={"DYNACACHE_STREAM_SHARD_PERIOD_S": "0.5"})
    try:
        ddb, streams = client(svc.url), client(svc.url, "dynamodbstreams")
        arn = create(ddb)
        time.sleep(0.6)
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert len(shards) == 2 and "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shards[0]["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        page = streams.get_records(ShardIterator=it)
        assert page["Records"] == [] and "NextShardIterator" not in page
        ddb.put_item(TableName="Events", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        records, _ = read_all(streams, arn)
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["a"]
    finally:
        svc.stop()
