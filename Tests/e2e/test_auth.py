"""Client authentication with SigV4, checked against requests that boto3 really signs."""

import datetime
import json
import zlib

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

from conftest import client, create_id_table, reset_moto
from rawhttp import error_of, post

LIST = "DynamoDB_20120810.ListTables"


def signed_headers(url, target, body, key="AKIDCLIENT", secret="client-secret-key", when=None):
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=url + "/", data=body,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target},
    )
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "dynamodb", "us-east-1")
    if when is not None:
        # botocore takes the signing time from the clock; pin it for an expired signature.
        class FixedClock(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return when
            @classmethod
            def now(cls, tz=None):
                return when.replace(tzinfo=tz) if tz else when
        original = botocore.auth.datetime.datetime
        botocore.auth.datetime.datetime = FixedClock
        try:
            signer.add_auth(request)
        finally:
            botocore.auth.datetime.datetime = original
    else:
        signer.add_auth(request)
    return dict(request.headers.items())


def test_boto3_signed_requests_pass(moto_url, auth_proxy):
    reset_moto(moto_url)
    ddb = client(auth_proxy.url)
    ddb.create_table(TableName="A", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="A", Item={"id": {"S": "1"}, "text": {"S": "héllo wörld ✓"}})
    assert ddb.get_item(TableName="A", Key={"id": {"S": "1"}})["Item"]["text"] == {"S": "héllo wörld ✓"}
    assert client(auth_proxy.url, "dynamodbstreams").list_streams()["Streams"] == []


def expect_client_error(fn, code):
    with pytest.raises(ClientError) as e:
        fn()
    assert e.value.response["Error"]["Code"] == code
    return e.value


def test_wrong_secret_is_an_invalid_signature(auth_proxy):
    err = expect_client_error(lambda: client(auth_proxy.url, secret="wrong").list_tables(), "InvalidSignatureException")
    assert "signature we calculated does not match" in err.response["Error"]["Message"]


def test_unknown_access_key_is_unrecognized(auth_proxy):
    expect_client_error(lambda: client(auth_proxy.url, key="AKIDSTRANGER").list_tables(), "UnrecognizedClientException")


def test_missing_signature(auth_proxy):
    status, headers, data = post(auth_proxy.url, LIST, b"{}")
    assert status == 400
    assert error_of(data)[0] == "MissingAuthenticationTokenException"
    assert int(headers["x-amz-crc32"]) == zlib.crc32(data)


def test_tampered_body_fails_the_signature(auth_proxy):
    headers = signed_headers(auth_proxy.url, LIST, b"{}")
    status, _, data = post(auth_proxy.url, LIST, b'{"Limit": 1}', headers=headers)
    assert status == 400
    assert error_of(data)[0] == "InvalidSignatureException"


def test_expired_signature(auth_proxy):
    when = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    headers = signed_headers(auth_proxy.url, LIST, b"{}", when=when)
    status, _, data = post(auth_proxy.url, LIST, b"{}", headers=headers)
    assert status == 400
    code, message = error_of(data)
    assert code == "InvalidSignatureException"
    assert "Signature expired" in message


def test_malformed_authorization_header(auth_proxy):
    status, _, data = post(auth_proxy.url, LIST, b"{}", headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x",
                                                                 "X-Amz-Date": "20260101T000000Z"})
    assert status == 400
    assert error_of(data)[0] == "IncompleteSignatureException"


def test_auth_comes_before_unknown_operation(auth_proxy):
    status, _, data = post(auth_proxy.url, "DynamoDB_20120810.Nope", b"{}")
    assert error_of(data)[0] == "MissingAuthenticationTokenException"
    headers = signed_headers(auth_proxy.url, "DynamoDB_20120810.Nope", b"{}")
    status, _, data = post(auth_proxy.url, "DynamoDB_20120810.Nope", b"{}", headers=headers)
    assert error_of(data)[0] == "UnknownOperationException"


def test_no_forwarding_of_other_requests_with_auth_on(auth_proxy):
    # Not a DynamoDB operation: never relayed when clients are authenticated.
    status, _, data = post(auth_proxy.url, None, b"")
    assert status == 400
    assert error_of(data)[0] == "UnknownOperationException"
    status, _, data = post(auth_proxy.url, "AmazonS3.ListBuckets", b"{}")
    assert error_of(data)[0] == "UnknownOperationException"
    # ... and the proxy still serves signed clients.
    client(auth_proxy.url).list_tables()


def test_refuses_unauthenticated_public_listener(moto_url):
    import subprocess
    from conftest import DYNACACHE, free_port
    out = subprocess.run([DYNACACHE, "serve", "--config", "/dev/null", "--upstream", moto_url,
                          "--listen", f"0.0.0.0:{free_port()}", "--admin-listen", f"127.0.0.1:{free_port()}"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "without client authentication" in out.stderr + out.stdout


GET = "DynamoDB_20120810.GetItem"


@pytest.fixture()
def cached_key(moto_url, auth_proxy):
    """A key the auth proxy answers from the cache (its event-loop hit path): refusals below
    must come from the signature check, not from a miss that happened to go upstream."""
    reset_moto(moto_url)
    ddb = client(auth_proxy.url)
    create_id_table(ddb, "Hits")
    ddb.put_item(TableName="Hits", Item={"id": {"S": "hot"}, "secret": {"S": "only for signed clients"}})
    from conftest import wait_until
    assert wait_until(lambda: ddb.get_item(TableName="Hits", Key={"id": {"S": "hot"}})
                      ["ResponseMetadata"]["HTTPHeaders"]["x-dynacache-cache"] == "hit")
    return json.dumps({"TableName": "Hits", "Key": {"id": {"S": "hot"}}}).encode()


def refused(url, body, headers, code):
    status, response_headers, data = post(url, GET, body, headers=headers)
    assert status == 400 and error_of(data)[0] == code, data
    assert b"only for signed clients" not in data
    assert "x-dynacache-cache" not in response_headers  # the cache was not consulted
    assert int(response_headers["x-amz-crc32"]) == zlib.crc32(data)


def test_cache_hits_need_a_valid_signature_too(auth_proxy, cached_key):
    # the same request, signed right, is a hit
    status, headers, data = post(auth_proxy.url, GET, cached_key, headers=signed_headers(auth_proxy.url, GET, cached_key))
    assert status == 200 and headers["x-dynacache-cache"] == "hit" and b"only for signed clients" in data
    refused(auth_proxy.url, cached_key, {}, "MissingAuthenticationTokenException")
    refused(auth_proxy.url, cached_key, signed_headers(auth_proxy.url, GET, cached_key, secret="wrong"),
            "InvalidSignatureException")
    refused(auth_proxy.url, cached_key, signed_headers(auth_proxy.url, GET, cached_key, key="AKIDSTRANGER"),
            "UnrecognizedClientException")
    when = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    refused(auth_proxy.url, cached_key, signed_headers(auth_proxy.url, GET, cached_key, when=when),
            "InvalidSignatureException")
    # a signature for another key's request does not open this one
    other = json.dumps({"TableName": "Hits", "Key": {"id": {"S": "cold"}}}).encode()
    refused(auth_proxy.url, cached_key, signed_headers(auth_proxy.url, GET, other), "InvalidSignatureException")
