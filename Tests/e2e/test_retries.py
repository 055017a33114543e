"""The proxy's retry policy against an upstream that throttles and fails on purpose
(throttling_upstream.py in front of moto_server). Clients here never retry themselves."""

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import client, create_id_table, reset_moto, start_misbehaving_upstream, start_proxy



@pytest.fixture(scope="module")
def flaky(moto_url):
    svc = start_misbehaving_upstream(moto_url)
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def retry_proxy(flaky):
    # Single requests, so each test sees the retry policy act on the operation it sends
    # (batched writes have their own tests in test_write_batching.py).
    svc = start_proxy(flaky.url, env={"DYNACACHE_WRITE_BATCHING": "false"})
    yield svc
    svc.stop()


def control(flaky, **settings):
    req = urllib.request.Request(flaky.url + "/control", data=json.dumps(settings).encode(), method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def counts(flaky):
    return json.loads(urllib.request.urlopen(flaky.url + "/counts", timeout=10).read())


def stats(proxy):
    return json.loads(urllib.request.urlopen(proxy.admin_url + "/stats", timeout=10).read())["retries"]


@pytest.fixture()
def table(moto_url, flaky, retry_proxy):
    reset_moto(moto_url)
    control(flaky)
    ddb = client(retry_proxy.url)
    create_id_table(ddb, "Hot")
    return ddb


def test_a_throttled_burst_completes_without_client_errors(table, flaky, retry_proxy):
    before = stats(retry_proxy)
    control(flaky, rate=10, burst=2)  # far below what one client sends through the proxy
    for i in range(30):
        table.put_item(TableName="Hot", Item={"id": {"S": f"k{i}"}, "n": {"N": str(i)}})
    for i in range(30):
        assert table.get_item(TableName="Hot", Key={"id": {"S": f"k{i}"}})["Item"]["n"] == {"N": str(i)}
    c = counts(flaky)
    assert c["forwarded"]["PutItem"] == 30 and c["forwarded"]["GetItem"] == 30 and c["throttled"] > 0
    after = stats(retry_proxy)
    retried = after["retriesByReason"].get("ProvisionedThroughputExceededException", 0) - \
        before["retriesByReason"].get("ProvisionedThroughputExceededException", 0)
    assert retried == c["throttled"]
    assert after["throttlesByResource"].get("Hot:write", 0) > 0
    assert "Hot:write" in after["adaptiveRates"]


def test_a_non_idempotent_update_with_unknown_outcome_is_not_applied_twice(table, flaky, retry_proxy):
    table.put_item(TableName="Hot", Item={"id": {"S": "counter"}, "n": {"N": "0"}})
    for _ in range(2):  # cached, so the next check also shows the unknown outcome invalidated it
        cached = table.get_item(TableName="Hot", Key={"id": {"S": "counter"}})
    assert cached["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "hit"
    control(flaky, apply_then_fail=["UpdateItem"])
    with pytest.raises(ClientError) as e:
        table.update_item(TableName="Hot", Key={"id": {"S": "counter"}}, UpdateExpression="ADD n :one",
                          ExpressionAttributeValues={":one": {"N": "1"}})
    assert e.value.response["Error"]["Code"] == "InternalServerError"
    control(flaky)
    after = table.get_item(TableName="Hot", Key={"id": {"S": "counter"}})
    assert after["Item"]["n"] == {"N": "1"}
    assert after["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "miss"
    assert stats(retry_proxy)["notRetriedUnsafe"] >= 1


def test_an_idempotent_write_with_unknown_outcome_is_retried(table, flaky):
    control(flaky, apply_then_fail=["PutItem"])
    with pytest.raises(ClientError):
        # Every attempt "fails" after applying: the proxy retries, then gives the error back.
        table.put_item(TableName="Hot", Item={"id": {"S": "x"}, "v": {"S": "1"}})
    assert counts(flaky)["forwarded"]["PutItem"] > 1
    control(flaky)
    assert table.get_item(TableName="Hot", Key={"id": {"S": "x"}})["Item"]["v"] == {"S": "1"}


def test_final_errors_pass_straight_through(table, flaky):
    control(flaky)
    with pytest.raises(ClientError) as e:
        table.put_item(TableName="Hot", Item={"id": {"S": "y"}}, ConditionExpression="attribute_exists(id)")
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert counts(flaky)["forwarded"]["PutItem"] == 1


def test_throttling_past_the_deadline_reaches_the_client_as_dynamodb_said_it(flaky, moto_url):
    proxy = start_proxy(flaky.url, env={"DYNACACHE_RETRY_MAX_ATTEMPTS": "3"})
    try:
        reset_moto(moto_url)
        control(flaky, rate=0.001, burst=0)  # everything throttled
        with pytest.raises(ClientError) as e:
            client(proxy.url).list_tables()
        assert e.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
        # ListTables' own attempts (another proxy of this module may poll a stream meanwhile)
        assert counts(flaky)["throttledByOp"]["ListTables"] == 3
    finally:
        control(flaky)
        proxy.stop()


def test_stale_if_error_answers_a_throttled_read_from_the_cache(flaky, moto_url):
    """Past its fresh time an entry is refreshed; when DynamoDB throttles the refresh past the
    retry budget, the stale entry (inside staleIfError) is the answer, not the throttle."""
    from conftest import wait_until
    config = "cache:\n  default:\n    staleTime: 300\n    staleWhileRevalidate: 0\n    staleIfError: 600000\n    tombstone: 0\n"
    proxy = start_proxy(flaky.url, env={"DYNACACHE_RETRY_MAX_ATTEMPTS": "2"}, config=config)
    try:
        reset_moto(moto_url)
        control(flaky)
        ddb = client(proxy.url)
        create_id_table(ddb, "Stale")
        ddb.put_item(TableName="Stale", Item={"id": {"S": "k"}, "v": {"S": "kept"}})
        assert wait_until(lambda: ddb.get_item(TableName="Stale", Key={"id": {"S": "k"}})
                          ["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "hit")
        control(flaky, rate=0.001, burst=0)  # every request throttled from now on

        def served_stale():
            r = ddb.get_item(TableName="Stale", Key={"id": {"S": "k"}})
            assert r["Item"]["v"] == {"S": "kept"}  # a hit while fresh, the stale entry after
            return r["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "stale"

        assert wait_until(served_stale)
        assert counts(flaky)["throttledByOp"].get("GetItem", 0) >= 2  # it did try the store
        # a key never cached has nothing to fall back on: the throttle is the answer
        with pytest.raises(ClientError) as e:
            ddb.get_item(TableName="Stale", Key={"id": {"S": "never"}})
        assert e.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    finally:
        control(flaky)
        proxy.stop()


def test_a_batched_write_past_its_deadline_is_answered_with_the_throttle(flaky, moto_url):
    """A write waiting in the batch pipeline while DynamoDB throttles every BatchWriteItem is
    answered, at its deadline, as DynamoDB would have answered it: throttled, not lost, not hung."""
    proxy = start_proxy(flaky.url, env={"DYNACACHE_RETRY_DEADLINE_MS": "1500"})
    try:
        reset_moto(moto_url)
        control(flaky)
        ddb = client(proxy.url)
        create_id_table(ddb, "Late")

        def writes():
            return json.loads(urllib.request.urlopen(proxy.admin_url + "/stats", timeout=10).read())["writes"]

        def batched_now():  # once the proxy knows the key schema, its writes go through the pipeline
            before = writes()["batchedWrites"]
            ddb.put_item(TableName="Late", Item={"id": {"S": "warm"}})
            return writes()["batchedWrites"] > before

        from conftest import wait_until
        assert wait_until(batched_now)
        control(flaky, rate=0.001, burst=0)
        with pytest.raises(ClientError) as e:
            ddb.put_item(TableName="Late", Item={"id": {"S": "k"}})
        assert e.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
        assert counts(flaky)["throttledByOp"].get("BatchWriteItem", 0) >= 1  # it went batched
        control(flaky)
        # not applied: the client was told it failed
        assert "Item" not in ddb.get_item(TableName="Late", Key={"id": {"S": "k"}}, ConsistentRead=True)
        assert writes()["deadlineExceeded"] >= 1
    finally:
        control(flaky)
        proxy.stop()
