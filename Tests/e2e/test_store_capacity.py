"""Provisioned capacity on the embedded store: token buckets of read and write units per table
and GSI (burst shrunk to one second here, DYNACACHE_CAPACITY_BURST_S), DynamoDB's throttling
error with ThrottlingReasons, batches that hand back what did not fit, UpdateTable changing
capacity live, on-demand tables never throttled, and the proxy's retry policy absorbing it.

moto does not simulate capacity; the behaviour follows DynamoDB's documentation."""

import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import client, start_proxy, start_store, wait_until

BURST = {"DYNACACHE_CAPACITY_BURST_S": "1"}


@pytest.fixture()
def tight(tmp_path):
    svc = start_store(tmp_path / "s", env=BURST)
    yield svc
    svc.stop()


def create(ddb, name="Tight", rcu=2, wcu=5, gsi_wcu=None):
    extra = {}
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if gsi_wcu is not None:
        attributes.append({"AttributeName": "g", "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [{
            "IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": gsi_wcu}}]
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=attributes, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}, **extra)
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


def writes_until_throttled(ddb, name="Tight", extra=None, limit=100, prefix="k"):
    for i in range(limit):
        try:
            ddb.put_item(TableName=name, Item={"pk": {"S": f"{prefix}{i}"}, **(extra or {})})
        except ClientError as e:
            return i, e.response
    return limit, None


def test_writes_are_throttled_at_the_provisioned_rate(tight):
    ddb = client(tight.url)
    arn = create(ddb, wcu=5)
    start = time.time()
    done, error = writes_until_throttled(ddb)
    # one second of burst at 5 WCU, 1 unit per small item, and what refilled meanwhile
    assert 5 <= done <= 5 + int((time.time() - start) * 5), done
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "provisioned throughput for the table was exceeded" in error["Error"]["Message"]
    assert error["ThrottlingReasons"] == [{"reason": "TableWriteProvisionedThroughputExceeded", "resource": arn}]
    # the bucket refills at 5 units a second: 10 more writes take at least (10 - 1) / 5 s
    ok, throttles, start = 0, 0, time.time()
    while ok < 10:
        try:
            ddb.put_item(TableName="Tight", Item={"pk": {"S": f"r{ok}"}})
            ok += 1
        except ClientError:
            throttles += 1
            time.sleep(0.02)
        assert time.time() - start < 30
    assert time.time() - start >= 9 / 5 - 0.05 and throttles > 0
    # a throttled write was not applied
    assert ddb.get_item(TableName="Tight", Key={"pk": {"S": f"k{done}"}}, ConsistentRead=True).get("Item") is None


def test_reads_spend_half_a_unit_when_eventually_consistent(tight):
    ddb = client(tight.url)
    arn = create(ddb, rcu=2, wcu=50)
    ddb.put_item(TableName="Tight", Item={"pk": {"S": "a"}})
    ok, start = 0, time.time()
    with pytest.raises(ClientError) as throttled:
        for _ in range(100):
            ddb.get_item(TableName="Tight", Key={"pk": {"S": "a"}})
            ok += 1
    # 2 RCU of burst, half a unit each, and what refilled meanwhile (2 units, 4 reads, a second)
    assert 4 <= ok <= 4 + int((time.time() - start) * 4), ok
    assert throttled.value.response["ThrottlingReasons"][0] == {
        "reason": "TableReadProvisionedThroughputExceeded", "resource": arn}


def test_a_gsi_short_of_write_capacity_throttles_the_writes_that_touch_it(tight):
    ddb = client(tight.url)
    arn = create(ddb, wcu=100, gsi_wcu=2)
    start = time.time()
    done, error = writes_until_throttled(ddb, extra={"g": {"S": "x"}})
    assert 2 <= done <= 2 + int((time.time() - start) * 2), done
    assert error["ThrottlingReasons"] == [
        {"reason": "IndexWriteProvisionedThroughputExceeded", "resource": arn + "/index/byG"}]
    assert "provisioned throughput for the index was exceeded" in error["Error"]["Message"]
    done, error = writes_until_throttled(ddb, limit=10, prefix="n")  # new items without g: GSI untouched
    assert done == 10 and error is None


def test_batches_hand_back_what_did_not_fit(tight):
    ddb = client(tight.url)
    create(ddb, rcu=1, wcu=5)
    r = ddb.batch_write_item(RequestItems={"Tight": [{"PutRequest": {"Item": {"pk": {"S": f"b{i}"}}}} for i in range(12)]})
    left = r["UnprocessedItems"].get("Tight", [])
    assert len(left) == 7 and {x["PutRequest"]["Item"]["pk"]["S"] for x in left} == {f"b{i}" for i in range(5, 12)}
    with pytest.raises(ClientError) as none_fit:
        ddb.batch_write_item(RequestItems={"Tight": left})
    assert none_fit.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    r = ddb.batch_get_item(RequestItems={"Tight": {"Keys": [{"pk": {"S": f"b{i}"}} for i in range(5)]}})
    assert len(r["Responses"]["Tight"]) == 2 and len(r["UnprocessedKeys"]["Tight"]["Keys"]) == 3


def test_update_table_changes_capacity_live_and_on_demand_is_never_throttled(tight):
    ddb = client(tight.url)
    create(ddb, wcu=1)
    start = time.time()
    assert 1 <= writes_until_throttled(ddb)[0] <= 1 + int(time.time() - start)
    ddb.update_table(TableName="Tight", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1000})
    # refills at the new rate: a thousand a second, so 50 writes are soon all accepted
    assert wait_until(lambda: writes_until_throttled(ddb, limit=50, prefix="u")[0] == 50)
    ddb.update_table(TableName="Tight", BillingMode="PAY_PER_REQUEST")
    assert writes_until_throttled(ddb, limit=200, prefix="o")[0] == 200


def test_the_proxy_absorbs_throttling(tmp_path, redis_server):
    store = start_store(tmp_path / "s", env=BURST)
    proxy = start_proxy(store.url)
    try:
        create(client(store.url), wcu=5)
        ddb = client(proxy.url)  # boto3 with its own retries off
        start = time.time()
        for i in range(12):  # more than the burst: the proxy's retry policy waits for capacity
            ddb.put_item(TableName="Tight", Item={"pk": {"S": f"p{i}"}})
        assert len(client(store.url).scan(TableName="Tight", ConsistentRead=True)["Items"]) == 12
        retries = json.loads(urllib.request.urlopen(proxy.admin_url + "/stats", timeout=5).read())["retries"]
        throttled = retries["retriesByReason"].get("ProvisionedThroughputExceededException", 0)
        # 12 units from a bucket of 5 refilling at 5/s: the store throttled (and no client saw
        # it), unless the writes were slow enough (1.4 s) to never need to wait
        assert throttled > 0 or time.time() - start >= 1.4, retries
    finally:
        proxy.stop()
        store.stop()
