"""The proxy forwards every operation unchanged in meaning: the same scenario, run with boto3
directly against moto_server and then through `dynacache serve`, gives the same answers once
request ids, timestamps and other per-run values are masked."""

import json

from botocore.exceptions import ClientError

from conftest import client, create_id_table, reset_moto, start_proxy

MASKED_KEYS = {
    "RequestId", "HTTPHeaders", "RetryAttempts", "CreationDateTime", "ApproximateCreationDateTime",
    "LatestStreamLabel", "LatestStreamArn", "StreamArn", "StreamLabel", "ShardIterator",
    "NextShardIterator", "eventID", "HostId", "SequenceNumber", "StartingSequenceNumber",
    "EndingSequenceNumber", "SizeBytes",  # moto sizes the record with its own timestamps in it "LastDecreaseDateTime", "LastIncreaseDateTime",
}


def mask(value):
    if isinstance(value, dict):
        return {k: ("<masked>" if k in MASKED_KEYS else mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if hasattr(value, "isoformat"):
        return "<time>"
    return value


def call(log, name, fn, **kwargs):
    try:
        out = fn(**kwargs)
        log.append((name, "ok", mask(out)))
        return out
    except ClientError as e:
        log.append((name, "error", e.response["Error"]["Code"], e.response["Error"].get("Message"),
                    e.response["ResponseMetadata"]["HTTPStatusCode"]))
        return None


def scenario(url):
    ddb = client(url)
    streams = client(url, "dynamodbstreams")
    log = []
    call(log, "CreateTable", ddb.create_table,
         TableName="Orders",
         KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"},
                    {"AttributeName": "order", "KeyType": "RANGE"}],
         AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"},
                               {"AttributeName": "order", "AttributeType": "N"}],
         BillingMode="PAY_PER_REQUEST",
         StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    call(log, "CreateTable", ddb.create_table,
         TableName="Plain",
         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
         BillingMode="PAY_PER_REQUEST")
    call(log, "DescribeTable", ddb.describe_table, TableName="Orders")
    call(log, "ListTables", ddb.list_tables, Limit=1)
    call(log, "ListTables", ddb.list_tables, ExclusiveStartTableName="Orders")

    for i in range(12):
        call(log, "PutItem", ddb.put_item, TableName="Orders",
             Item={"customer": {"S": "c1" if i < 8 else "c2"}, "order": {"N": str(i)},
                   "total": {"N": f"{i}.50"}, "tags": {"SS": ["a", f"t{i}"]},
                   "blob": {"B": bytes([i, 255, 0])}, "nested": {"M": {"l": {"L": [{"BOOL": True}, {"NULL": True}]}}}})
    call(log, "PutItem/condition-fails", ddb.put_item, TableName="Orders",
         Item={"customer": {"S": "c1"}, "order": {"N": "1"}},
         ConditionExpression="attribute_not_exists(customer)")
    call(log, "PutItem/ALL_OLD", ddb.put_item, TableName="Orders",
         Item={"customer": {"S": "c1"}, "order": {"N": "2"}, "total": {"N": "99"}}, ReturnValues="ALL_OLD")
    call(log, "GetItem", ddb.get_item, TableName="Orders", Key={"customer": {"S": "c1"}, "order": {"N": "3"}})
    call(log, "GetItem/number-spelling", ddb.get_item, TableName="Orders",
         Key={"customer": {"S": "c1"}, "order": {"N": "3.0"}}, ConsistentRead=True)
    call(log, "GetItem/projection", ddb.get_item, TableName="Orders",
         Key={"customer": {"S": "c1"}, "order": {"N": "4"}},
         ProjectionExpression="#t, nested.l[0]", ExpressionAttributeNames={"#t": "total"})
    call(log, "GetItem/missing", ddb.get_item, TableName="Orders", Key={"customer": {"S": "nobody"}, "order": {"N": "1"}})
    call(log, "GetItem/no-table", ddb.get_item, TableName="Nope", Key={"id": {"S": "x"}})
    call(log, "UpdateItem", ddb.update_item, TableName="Orders",
         Key={"customer": {"S": "c1"}, "order": {"N": "5"}},
         UpdateExpression="SET total = total + :inc, #s = :s ADD tags :t",
         ConditionExpression="total > :zero",
         ExpressionAttributeNames={"#s": "status"},
         ExpressionAttributeValues={":inc": {"N": "1"}, ":s": {"S": "paid"}, ":t": {"SS": ["x"]}, ":zero": {"N": "0"}},
         ReturnValues="ALL_NEW")
    call(log, "UpdateItem/condition-fails", ddb.update_item, TableName="Orders",
         Key={"customer": {"S": "c1"}, "order": {"N": "5"}},
         UpdateExpression="SET total = :v", ConditionExpression="total < :v",
         ExpressionAttributeValues={":v": {"N": "0"}})
    call(log, "DeleteItem", ddb.delete_item, TableName="Orders",
         Key={"customer": {"S": "c1"}, "order": {"N": "6"}}, ReturnValues="ALL_OLD")
    call(log, "DeleteItem/condition-fails", ddb.delete_item, TableName="Orders",
         Key={"customer": {"S": "c1"}, "order": {"N": "7"}},
         ConditionExpression="attribute_exists(missing_attr)")
    call(log, "Query", ddb.query, TableName="Orders",
         KeyConditionExpression="customer = :c AND #o BETWEEN :a AND :b",
         ExpressionAttributeNames={"#o": "order"},
         ExpressionAttributeValues={":c": {"S": "c1"}, ":a": {"N": "1"}, ":b": {"N": "5"}},
         ScanIndexForward=False)
    page = call(log, "Query/page1", ddb.query, TableName="Orders", Limit=3,
                KeyConditionExpression="customer = :c", ExpressionAttributeValues={":c": {"S": "c1"}})
    if page and "LastEvaluatedKey" in page:
        call(log, "Query/page2", ddb.query, TableName="Orders", Limit=3, ExclusiveStartKey=page["LastEvaluatedKey"],
             KeyConditionExpression="customer = :c", ExpressionAttributeValues={":c": {"S": "c1"}})
    start, pages = None, 0
    while pages < 10:
        kwargs = {"TableName": "Orders", "Limit": 4}
        if start:
            kwargs["ExclusiveStartKey"] = start
        out = call(log, f"Scan/page{pages}", ddb.scan, **kwargs)
        pages += 1
        start = out and out.get("LastEvaluatedKey")
        if not start:
            break
    call(log, "Scan/filter", ddb.scan, TableName="Orders", FilterExpression="total >= :t",
         ExpressionAttributeValues={":t": {"N": "5"}}, Select="COUNT")
    call(log, "BatchWriteItem", ddb.batch_write_item, RequestItems={
        "Plain": [{"PutRequest": {"Item": {"id": {"S": f"p{i}"}, "v": {"N": str(i)}}}} for i in range(5)],
        "Orders": [{"DeleteRequest": {"Key": {"customer": {"S": "c2"}, "order": {"N": "8"}}}}],
    })
    out = call(log, "BatchGetItem", ddb.batch_get_item, RequestItems={
        "Plain": {"Keys": [{"id": {"S": f"p{i}"}} for i in range(6)]},
        "Orders": {"Keys": [{"customer": {"S": "c1"}, "order": {"N": "1"}}], "ProjectionExpression": "total"},
    })
    if out:  # BatchGetItem's order within a table is not defined: sort before comparing
        for table, items in out["Responses"].items():
            log.append(("BatchGetItem/sorted", table, sorted(json.dumps(i, sort_keys=True, default=str) for i in items)))
    call(log, "TransactWriteItems", ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": "Plain", "Item": {"id": {"S": "tx1"}}}},
        {"Update": {"TableName": "Plain", "Key": {"id": {"S": "p1"}}, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "100"}}}},
        {"ConditionCheck": {"TableName": "Orders", "Key": {"customer": {"S": "c1"}, "order": {"N": "1"}},
                            "ConditionExpression": "attribute_exists(customer)"}},
    ])
    call(log, "TransactWriteItems/cancelled", ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": "Plain", "Item": {"id": {"S": "tx2"}}}},
        {"ConditionCheck": {"TableName": "Plain", "Key": {"id": {"S": "nope"}},
                            "ConditionExpression": "attribute_exists(id)"}},
    ])
    call(log, "TransactGetItems", ddb.transact_get_items, TransactItems=[
        {"Get": {"TableName": "Plain", "Key": {"id": {"S": "tx1"}}}},
        {"Get": {"TableName": "Plain", "Key": {"id": {"S": "p1"}}}},
    ])

    # DynamoDB Streams, on the same endpoint for moto (and for the proxy).
    listed = call(log, "ListStreams", streams.list_streams, TableName="Orders")
    if listed and listed["Streams"]:
        arn = listed["Streams"][0]["StreamArn"]
        desc = call(log, "DescribeStream", streams.describe_stream, StreamArn=arn)
        shard = desc["StreamDescription"]["Shards"][0]["ShardId"]
        it = call(log, "GetShardIterator", streams.get_shard_iterator, StreamArn=arn, ShardId=shard,
                  ShardIteratorType="TRIM_HORIZON")
        records = call(log, "GetRecords", streams.get_records, ShardIterator=it["ShardIterator"], Limit=100)
        if records:
            log.append(("GetRecords/count", len(records["Records"])))
    call(log, "DeleteTable", ddb.delete_table, TableName="Plain")
    call(log, "ListTables/after", ddb.list_tables)
    return log


def test_every_operation_answers_as_the_upstream_does(moto_url, proxy):
    reset_moto(moto_url)
    direct = scenario(moto_url)
    reset_moto(moto_url)
    through = scenario(proxy.url)
    assert len(direct) > 40
    # The scenario really exercised success and failure paths.
    assert any(entry[1] == "error" for entry in direct)
    assert any(entry[0] == "GetRecords/count" and entry[1] > 0 for entry in direct)
    for d, t in zip(direct, through):
        assert d == t, f"{d[0]} differs"
    assert len(direct) == len(through)


def test_forwarded_answer_keeps_checksum_and_request_id(tmp_path):
    """An upstream of our own with a known request id and checksum: the client must get that
    id (not one the proxy made up) and the body whose CRC32 the header names."""
    import threading
    import zlib
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = b'{"TableNames":["FromTheStub"]}'

    class Stub(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("x-amzn-RequestId", "STUBREQUEST0000000000000000000000000000000000000001")
            self.send_header("x-amz-crc32", str(zlib.crc32(body)))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = start_proxy(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        resp = client(proxy.url).list_tables()  # conftest's client checks the CRC32 of the body
        assert resp["TableNames"] == ["FromTheStub"]
        headers = resp["ResponseMetadata"]["HTTPHeaders"]
        assert headers["x-amz-crc32"] == str(zlib.crc32(body))
        assert resp["ResponseMetadata"]["RequestId"] == "STUBREQUEST0000000000000000000000000000000000000001"
    finally:
        proxy.stop()
        server.shutdown()


def test_cached_answers_carry_their_own_request_ids_and_checksums(moto_url, proxy):
    reset_moto(moto_url)
    ddb = client(proxy.url)
    create_id_table(ddb, "Ids")
    ddb.put_item(TableName="Ids", Item={"id": {"S": "a"}, "v": {"S": "x" * 300}})
    ids, statuses = set(), []
    for _ in range(8):
        r = ddb.get_item(TableName="Ids", Key={"id": {"S": "a"}})
        headers = r["ResponseMetadata"]["HTTPHeaders"]
        statuses.append(headers["x-dynacache-cache"])
        ids.add(r["ResponseMetadata"]["RequestId"])
        assert "x-amz-crc32" in headers  # and conftest's client checked it against the body's bytes
    assert "hit" in statuses
    assert len(ids) == 8 and all(len(i) > 0 for i in ids)  # one id per request, as DynamoDB gives


def test_aws_cli_works_through_the_proxy(moto_url, proxy, tmp_path):
    import os
    import subprocess
    import sys
    reset_moto(moto_url)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDCLIENT", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
               AWS_ENDPOINT_URL_DYNAMODB=proxy.url)
    out = subprocess.run([sys.executable, "-m", "awscli", "dynamodb", "create-table", "--table-name", "Cli",
                          "--key-schema", "AttributeName=id,KeyType=HASH",
                          "--attribute-definitions", "AttributeName=id,AttributeType=S",
                          "--billing-mode", "PAY_PER_REQUEST", "--endpoint-url", proxy.url],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([sys.executable, "-m", "awscli", "dynamodb", "list-tables", "--endpoint-url", proxy.url],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["TableNames"] == ["Cli"]
