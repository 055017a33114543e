"""`dynacache store --auth sigv4`: the embedded store checks signatures as DynamoDB does, so a
shared development store can require them, and the proxy's own re-signing of what it forwards
(reads, misses, batched writes, Streams calls of its change-stream consumer) is checked by a
real verifier rather than by moto, which accepts anything."""

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import client, create_id_table, start_proxy, start_store, wait_until

KEYS = {"DYNACACHE_AUTH_KEYS": "AKIDPROXY:proxy-secret-key,AKIDDEV:dev-secret-key"}


@pytest.fixture()
def signed_store(tmp_path):
    svc = start_store(tmp_path / "s", env=KEYS, extra_args=("--auth", "sigv4"))
    yield svc
    svc.stop()


def code_of(fn):
    with pytest.raises(ClientError) as e:
        fn()
    return e.value.response["Error"]["Code"]


def test_the_store_refuses_unsigned_and_wrongly_signed_requests(signed_store):
    assert client(signed_store.url, key="AKIDDEV", secret="dev-secret-key").list_tables()["TableNames"] == []
    assert code_of(lambda: client(signed_store.url, key="AKIDDEV", secret="wrong").list_tables()) == \
        "InvalidSignatureException"
    assert code_of(lambda: client(signed_store.url, key="AKIDNOBODY", secret="x").list_tables()) == \
        "UnrecognizedClientException"
    req = urllib.request.Request(signed_store.url + "/", data=b"{}", method="POST",
                                 headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                          "Content-Type": "application/x-amz-json-1.0"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert json.loads(e.value.read())["__type"].endswith("MissingAuthenticationTokenException")


def test_the_proxy_signs_everything_it_sends_with_its_own_credentials(signed_store):
    proxy = start_proxy(signed_store.url, env={"AWS_ACCESS_KEY_ID": "AKIDPROXY", "AWS_SECRET_ACCESS_KEY": "proxy-secret-key"})
    try:
        ddb = client(proxy.url)  # the client's own key means nothing to the store: the proxy re-signs
        create_id_table(ddb, "Signed", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        ddb.put_item(TableName="Signed", Item={"id": {"S": "a"}, "v": {"S": "1"}})  # batched: BatchWriteItem
        assert ddb.get_item(TableName="Signed", Key={"id": {"S": "a"}})["Item"]["v"] == {"S": "1"}
        assert ddb.batch_get_item(RequestItems={"Signed": {"Keys": [{"id": {"S": "a"}}]}})["Responses"]["Signed"]
        assert ddb.query(TableName="Signed", KeyConditionExpression="id = :a",
                         ExpressionAttributeValues={":a": {"S": "a"}})["Count"] == 1
        streams = client(proxy.url, "dynamodbstreams")
        assert len(streams.list_streams(TableName="Signed")["Streams"]) == 1
        # the proxy's stream consumer (Streams API, signed by the proxy) reads the table's stream:
        # a write straight to the store reaches the cache through it
        assert wait_until(lambda: ddb.get_item(TableName="Signed", Key={"id": {"S": "a"}})
                          ["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "hit")
        direct = client(signed_store.url, key="AKIDDEV", secret="dev-secret-key")
        direct.put_item(TableName="Signed", Item={"id": {"S": "a"}, "v": {"S": "2"}})
        assert wait_until(lambda: ddb.get_item(TableName="Signed", Key={"id": {"S": "a"}})["Item"]["v"] == {"S": "2"})
        stream = json.loads(urllib.request.urlopen(proxy.admin_url + "/stats", timeout=5).read())["stream"]
        assert stream["tables"]["Signed"]["recordsProcessed"] >= 1
    finally:
        proxy.stop()


def test_a_proxy_with_the_wrong_credentials_passes_the_refusal_on(signed_store):
    proxy = start_proxy(signed_store.url, env={"AWS_ACCESS_KEY_ID": "AKIDPROXY", "AWS_SECRET_ACCESS_KEY": "stale"})
    try:
        assert code_of(lambda: client(proxy.url).list_tables()) == "InvalidSignatureException"
    finally:
        proxy.stop()
