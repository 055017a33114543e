"""Bad input gets a DynamoDB-shaped error (status, __type, message, request id, CRC) and the
proxy keeps serving everyone else."""

import json
import zlib

import pytest

from conftest import client, reset_moto
from rawhttp import KeepAlive, error_of, raw_exchange

GET = "DynamoDB_20120810.GetItem"


@pytest.fixture()
def table(moto_url, proxy):
    reset_moto(moto_url)
    ddb = client(proxy.url)
    ddb.create_table(TableName="T", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="T", Item={"id": {"S": "k"}, "v": {"N": "1"}})
    return ddb


def assert_dynamo_error(status, headers, data, expected_status, expected_code):
    assert status == expected_status, data
    code, message = error_of(data)
    assert code == expected_code, data
    assert message
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert len(headers["x-amzn-requestid"]) == 52
    assert int(headers["x-amz-crc32"]) == zlib.crc32(data)


def still_serving(ddb):
    assert ddb.get_item(TableName="T", Key={"id": {"S": "k"}})["Item"]["v"] == {"N": "1"}


@pytest.fixture()
def conn(proxy):
    """One keep-alive connection: a refused request must not cost the client its connection."""
    c = KeepAlive(proxy.url, timeout=120)
    yield c
    c.close()


def serves_on(conn):
    """The next request on the same connection is answered."""
    status, _, data = conn.post(GET, b'{"TableName": "T", "Key": {"id": {"S": "k"}}}')
    assert status == 200 and json.loads(data)["Item"]["v"] == {"N": "1"}, data


@pytest.mark.parametrize("body", [
    b"{", b"not json", b"[]", b'"string"', b'{"TableName": "T",}', b"\xff\xfe", b"",
    b'{"TableName": "T", "Key": {"id": {"S": "\\ud800"}}}',
    b"[" * 100000,
])
def test_malformed_json_is_a_serialization_exception(table, conn, body):
    status, headers, data = conn.post(GET, body)
    assert_dynamo_error(status, headers, data, 400, "SerializationException")
    serves_on(conn)


@pytest.mark.parametrize("body,code", [
    ({"TableName": 5, "Key": {"id": {"S": "k"}}}, "SerializationException"),
    ({"TableName": "T", "Key": {"id": {"S": 1}}}, "SerializationException"),
    ({"TableName": "T", "Key": ["id"]}, "SerializationException"),
    ({"TableName": "T", "Key": {"id": {"N": "abc"}}}, "ValidationException"),
    ({"TableName": "T", "Key": {"id": {"N": "1" * 39}}}, "ValidationException"),
    ({"TableName": "T", "Key": {"id": {"S": "k", "N": "1"}}}, "ValidationException"),
    ({"TableName": "T", "Key": {"id": {}}}, "ValidationException"),
    ({"TableName": "T", "Key": {"id": {"B": "not base64!"}}}, "SerializationException"),
    ({"TableName": "T", "Key": {"id": {"S": "k"}}, "ConsistentRead": "yes"}, "SerializationException"),
    ({"TableName": "T", "Key": {"id": {"S": "k"}}, "ExpressionAttributeNames": {"#a": 1}}, "SerializationException"),
    # GetItem has no ExpressionAttributeValues in DynamoDB's model: bad values go in the key.
    ({"TableName": "T", "Key": {"id": {"SS": []}}}, "ValidationException"),
    ({"TableName": "T", "Key": {"id": {"NS": ["1", "1.0"]}}}, "ValidationException"),
    ({"TableName": "T", "Key": {"id": {"NULL": False}}}, "ValidationException"),
])
def test_wrong_types_are_refused_before_forwarding(table, conn, body, code):
    status, headers, data = conn.post(GET, json.dumps(body).encode())
    assert_dynamo_error(status, headers, data, 400, code)
    serves_on(conn)


def test_wrong_types_inside_batch_and_transaction_requests(table, conn):
    bad_key = {"id": {"N": "1e999"}}
    for target, body in [
        ("DynamoDB_20120810.BatchGetItem", {"RequestItems": {"T": {"Keys": [bad_key]}}}),
        ("DynamoDB_20120810.BatchWriteItem", {"RequestItems": {"T": [{"DeleteRequest": {"Key": bad_key}}]}}),
        ("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [{"Delete": {"TableName": "T", "Key": bad_key}}]}),
    ]:
        status, headers, data = conn.post(target, json.dumps(body).encode())
        assert_dynamo_error(status, headers, data, 400, "ValidationException")
    serves_on(conn)


def test_unknown_operation(table, conn):
    status, headers, data = conn.post("DynamoDB_20120810.DropEverything", b"{}")
    assert_dynamo_error(status, headers, data, 400, "UnknownOperationException")
    status, headers, data = conn.post("DynamoDBStreams_20120810.GetItem", b"{}")
    assert_dynamo_error(status, headers, data, 400, "UnknownOperationException")
    serves_on(conn)


def test_oversized_body_is_refused_without_losing_the_connection_or_the_proxy(table, conn):
    big = b'{"TableName": "T", "Key": {"id": {"S": "' + b"x" * (18 * 1024 * 1024) + b'"}}}'
    status, headers, data = conn.post(GET, big)
    assert_dynamo_error(status, headers, data, 413, "RequestEntityTooLargeException")
    serves_on(conn)


def test_oversized_chunked_body_is_refused(table, proxy):
    chunk = b"y" * (1024 * 1024)
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + GET.encode()
            + b"\r\nContent-Type: application/x-amz-json-1.0\r\nTransfer-Encoding: chunked\r\n\r\n")
    payload = head + (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 20 + b"0\r\n\r\n"
    (status, headers, data), = raw_exchange(proxy.url, payload, 1, timeout=120)
    assert_dynamo_error(status, headers, data, 413, "RequestEntityTooLargeException")
    still_serving(table)


def test_pipelined_requests_are_answered_in_order(table, proxy):
    def request(body):
        data = json.dumps(body).encode()
        return (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + GET.encode()
                + b"\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
    payload = (request({"TableName": "T", "Key": {"id": {"S": "k"}}})
               + request({"TableName": "T", "Key": {"id": {"N": "bad"}}})
               + b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.Nope\r\nContent-Length: 2\r\n\r\n{}"
               + request({"TableName": "T", "Key": {"id": {"S": "missing"}}}))
    responses = raw_exchange(proxy.url, payload, 4)
    assert [r[0] for r in responses] == [200, 400, 400, 200]
    assert json.loads(responses[0][2])["Item"]["id"] == {"S": "k"}
    assert error_of(responses[1][2])[0] == "ValidationException"
    assert error_of(responses[2][2])[0] == "UnknownOperationException"
    assert json.loads(responses[3][2]) == {}


def test_garbage_http_closes_only_that_connection(table, proxy):
    responses = raw_exchange(proxy.url, b"THIS IS NOT HTTP\r\n\r\n", 1)
    assert not responses or responses[0][0] == 400
    still_serving(table)


def test_other_requests_are_forwarded_verbatim_when_auth_is_none(moto_url, proxy, table):
    # moto's own API, through the proxy: not a DynamoDB operation, forwarded untouched.
    import urllib.request
    req = urllib.request.Request(proxy.url + "/moto-api/reset", method="POST", data=b"")
    assert urllib.request.urlopen(req, timeout=10).status == 200
    assert client(proxy.url).list_tables()["TableNames"] == []


def test_admin_health(proxy):
    import urllib.request
    with urllib.request.urlopen(proxy.admin_url + "/health", timeout=5) as resp:
        assert resp.status == 200
        assert json.loads(resp.read())["status"] == "ok"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(proxy.admin_url + "/nope", timeout=5)
    assert e.value.code == 404
