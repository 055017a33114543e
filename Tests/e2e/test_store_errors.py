"""The embedded store's answers where DynamoDB's documentation and moto part ways, checked
against the store alone with DynamoDB's own error wording."""

import os
import signal
import subprocess
import sys
import time

import pytest
from botocore.exceptions import ClientError

from conftest import client, start_proxy, start_store
from rawhttp import error_of, post


@pytest.fixture()
def ddb(store):
    c = client(store.url)
    c.create_table(TableName="Orders",
                   KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"},
                                         {"AttributeName": "seq", "AttributeType": "N"}],
                   BillingMode="PAY_PER_REQUEST")
    for i in range(3):
        c.put_item(TableName="Orders", Item={"customer": {"S": "ada"}, "seq": {"N": str(i)}, "tags": {"SS": ["a", "b"]}})
    return c


def error(fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_batch_write_refuses_two_requests_for_one_item(ddb):
    code, message = error(ddb.batch_write_item, RequestItems={"Orders": [
        {"PutRequest": {"Item": {"customer": {"S": "x"}, "seq": {"N": "1"}}}},
        {"DeleteRequest": {"Key": {"customer": {"S": "x"}, "seq": {"N": "1.0"}}}}]})
    assert (code, message) == ("ValidationException", "Provided list of item keys contains duplicates")
    # Nothing of the refused batch was applied.
    assert "Item" not in ddb.get_item(TableName="Orders", Key={"customer": {"S": "x"}, "seq": {"N": "1"}})


def test_batch_limits(ddb):
    code, _ = error(ddb.batch_write_item, RequestItems={"Orders": [
        {"PutRequest": {"Item": {"customer": {"S": "x"}, "seq": {"N": str(i)}}}} for i in range(26)]})
    assert code == "ValidationException"
    code, message = error(ddb.batch_get_item, RequestItems={"Orders": {"Keys": [
        {"customer": {"S": "x"}, "seq": {"N": str(i)}} for i in range(101)]}})
    assert message == "Too many items requested for the BatchGetItem call"
    code, message = error(ddb.batch_get_item, RequestItems={"Orders": {"Keys": [
        {"customer": {"S": "ada"}, "seq": {"N": "1"}}, {"customer": {"S": "ada"}, "seq": {"N": "01"}}]}})
    assert message == "Provided list of item keys contains duplicates"


def test_key_condition_errors(ddb):
    cases = [
        ("customer = :c OR seq = :s", {":c": {"S": "ada"}, ":s": {"N": "1"}}, "Invalid operator used in KeyConditionExpression: OR"),
        ("customer = :c", {":c": {"N": "1"}}, "One or more parameter values were invalid: Condition parameter type does not match schema type"),
        ("seq = :s", {":s": {"N": "1"}}, "Query condition missed key schema element: customer"),
        ("customer < :c", {":c": {"S": "a"}}, "Query key condition not supported"),
        ("customer = :c AND begins_with(seq, :s)", {":c": {"S": "ada"}, ":s": {"N": "1"}},
         "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
    ]
    for expression, values, expected in cases:
        code, message = error(ddb.query, TableName="Orders", KeyConditionExpression=expression, ExpressionAttributeValues=values)
        assert (code, message) == ("ValidationException", expected), expression


def test_query_filter_on_key_is_refused(ddb):
    code, message = error(ddb.query, TableName="Orders", KeyConditionExpression="customer = :c",
                          FilterExpression="seq > :s", ExpressionAttributeValues={":c": {"S": "ada"}, ":s": {"N": "0"}})
    assert message == "Filter Expression can only contain non-primary key attributes: Primary key attribute: seq"


def test_reserved_words_and_placeholders(ddb):
    key = {"customer": {"S": "ada"}, "seq": {"N": "1"}}
    assert error(ddb.get_item, TableName="Orders", Key=key, ProjectionExpression="tags, name") == (
        "ValidationException", "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name")
    assert error(ddb.get_item, TableName="Orders", Key=key, ProjectionExpression="#n", ExpressionAttributeNames={"#m": "x"})[1] == (
        "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #n")
    assert error(ddb.update_item, TableName="Orders", Key=key, UpdateExpression="SET a = :a",
                 ExpressionAttributeValues={":a": {"S": "x"}, ":b": {"S": "y"}})[1] == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}")
    code, message = error(ddb.put_item, TableName="Orders", Item=key, ConditionExpression="a = = :a",
                          ExpressionAttributeValues={":a": {"S": "x"}})
    assert code == "ValidationException" and message.startswith('Invalid ConditionExpression: Syntax error; token: "="')


def test_updated_new_after_delete_returns_what_is_left(ddb):
    out = ddb.update_item(TableName="Orders", Key={"customer": {"S": "ada"}, "seq": {"N": "1"}},
                          UpdateExpression="DELETE tags :t", ExpressionAttributeValues={":t": {"SS": ["a"]}},
                          ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"tags": {"SS": ["b"]}}


def test_condition_failure_can_return_the_item(ddb):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="Orders", Item={"customer": {"S": "ada"}, "seq": {"N": "1"}},
                     ConditionExpression="attribute_not_exists(seq)", ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert e.value.response["Item"]["tags"] == {"SS": ["a", "b"]}


def test_last_evaluated_key_at_exact_limit(ddb):
    out = ddb.query(TableName="Orders", KeyConditionExpression="customer = :c",
                    ExpressionAttributeValues={":c": {"S": "ada"}}, Limit=3)
    assert out["Count"] == 3 and out["LastEvaluatedKey"] == {"customer": {"S": "ada"}, "seq": {"N": "2"}}
    rest = ddb.query(TableName="Orders", KeyConditionExpression="customer = :c",
                     ExpressionAttributeValues={":c": {"S": "ada"}}, Limit=3, ExclusiveStartKey=out["LastEvaluatedKey"])
    assert rest["Count"] == 0 and "LastEvaluatedKey" not in rest


def test_parallel_scan_segments_partition_the_table(ddb):
    for i in range(40):
        ddb.put_item(TableName="Orders", Item={"customer": {"S": f"c{i}"}, "seq": {"N": "1"}})
    seen = []
    for segment in range(4):
        seen += [i["customer"]["S"] + i["seq"]["N"] for i in
                 ddb.scan(TableName="Orders", Segment=segment, TotalSegments=4)["Items"]]
    assert len(seen) == len(set(seen)) == 43


def test_one_megabyte_pages(ddb):
    blob = "x" * (300 * 1024)
    for i in range(5):
        ddb.put_item(TableName="Orders", Item={"customer": {"S": "big"}, "seq": {"N": str(i)}, "data": {"S": blob}})
    out = ddb.query(TableName="Orders", KeyConditionExpression="customer = :c", ExpressionAttributeValues={":c": {"S": "big"}})
    assert out["Count"] == 4 and "LastEvaluatedKey" in out


def test_malformed_requests_to_the_store(store, ddb):
    status, _, data = post(store.url, "DynamoDB_20120810.GetItem", b"{nope")
    assert status == 400 and error_of(data)[0] == "SerializationException"
    status, _, data = post(store.url, "DynamoDB_20120810.CreateBackup", b"{}")
    assert status == 400 and "does not support" in error_of(data)[1]
    status, _, data = post(store.url, "DynamoDB_20120810.UpdateTimeToLive", b"{}")
    assert status == 400 and error_of(data)[0] == "ValidationException"
    status, _, data = post(store.url, "DynamoDB_20120810.Nope", b"{}")
    assert error_of(data)[0] == "UnknownOperationException"
    assert ddb.list_tables()["TableNames"] == ["Orders"]


def test_data_survives_restart_and_kill_9(tmp_path):
    data = tmp_path / "durable"
    svc = start_store(data)
    ddb = client(svc.url)
    ddb.create_table(TableName="Durable", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="Durable", Item={"id": {"N": "0"}, "v": {"S": "before restart"}})
    svc.stop()  # SIGTERM
    svc = start_store(data, port=svc.port)
    ddb = client(svc.url)
    assert ddb.get_item(TableName="Durable", Key={"id": {"N": "0"}})["Item"]["v"] == {"S": "before restart"}

    # A writer in a separate process, acknowledged writes counted, then kill -9 mid-stream.
    writer = subprocess.Popen([sys.executable, "-c", f"""
import boto3, sys
c = boto3.client('dynamodb', endpoint_url='{svc.url}', region_name='us-east-1', aws_access_key_id='a', aws_secret_access_key='b')
i = 1
while True:
    try:
        c.put_item(TableName='Durable', Item={{'id': {{'N': str(i)}}, 'v': {{'S': 'x' * 1000}}}})
    except Exception:
        break
    print(i, flush=True)
    i += 1
"""], stdout=subprocess.PIPE, text=True)
    acknowledged = 0
    deadline = time.time() + 30
    while acknowledged < 200 and time.time() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        acknowledged = int(line)
    os.kill(svc.proc.pid, signal.SIGKILL)
    svc.proc.wait()
    writer.kill()
    assert acknowledged >= 200
    svc = start_store(data, port=svc.port)
    try:
        ddb = client(svc.url)
        for i in range(0, acknowledged + 1):
            assert "Item" in ddb.get_item(TableName="Durable", Key={"id": {"N": str(i)}}), f"acknowledged write {i} lost"
    finally:
        svc.stop()


def test_proxy_serves_the_embedded_store(tmp_path):
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "proxy-data")])
    try:
        ddb = client(proxy.url)
        ddb.create_table(TableName="ViaProxy", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        ddb.put_item(TableName="ViaProxy", Item={"id": {"S": "1"}, "n": {"N": "01.50"}})
        assert ddb.get_item(TableName="ViaProxy", Key={"id": {"S": "1"}})["Item"]["n"] == {"N": "1.5"}
    finally:
        proxy.stop()
    assert (tmp_path / "proxy-data" / "dynacache.sqlite3").exists()


def test_transactions_are_all_or_nothing_with_reasons_in_order(ddb):
    key = lambda seq: {"customer": {"S": "ada"}, "seq": {"N": str(seq)}}
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "Orders", "Item": {**key(10), "v": {"S": "new"}}}},
            {"Update": {"TableName": "Orders", "Key": key(1), "UpdateExpression": "SET n = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": "Orders", "Key": key(2), "ConditionExpression": "attribute_not_exists(tags)",
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ])
    err = e.value.response
    assert err["Error"]["Code"] == "TransactionCanceledException"
    assert "[None, None, ConditionalCheckFailed]" in err["Error"]["Message"]
    reasons = err["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed"]
    assert reasons[2]["Item"]["tags"] == {"SS": ["a", "b"]}
    # Nothing was applied.
    assert "Item" not in ddb.get_item(TableName="Orders", Key=key(10))
    assert "n" not in ddb.get_item(TableName="Orders", Key=key(1))["Item"]
    # Two actions on one item are refused.
    code, message = error(ddb.transact_write_items, TransactItems=[
        {"Delete": {"TableName": "Orders", "Key": key(1)}},
        {"Update": {"TableName": "Orders", "Key": {"customer": {"S": "ada"}, "seq": {"N": "1.0"}},
                    "UpdateExpression": "SET n = :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    assert (code, message) == ("ValidationException", "Transaction request cannot include multiple operations on one item")
    # A type error in an update cancels the whole transaction too.
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Delete": {"TableName": "Orders", "Key": key(0)}},
            {"Update": {"TableName": "Orders", "Key": key(1), "UpdateExpression": "SET tags = tags + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == ["None", "ValidationError"]
    assert "Item" in ddb.get_item(TableName="Orders", Key=key(0))


def test_transaction_client_request_tokens_are_idempotent(ddb):
    items = [{"Update": {"TableName": "Orders", "Key": {"customer": {"S": "ada"}, "seq": {"N": "0"}},
                         "UpdateExpression": "ADD visits :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-1")
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-1")  # a retry: not applied again
    got = ddb.get_item(TableName="Orders", Key={"customer": {"S": "ada"}, "seq": {"N": "0"}})["Item"]
    assert got["visits"] == {"N": "1"}
    other = [{"Delete": {"TableName": "Orders", "Key": {"customer": {"S": "ada"}, "seq": {"N": "0"}}}}]
    code, _ = error(ddb.transact_write_items, TransactItems=other, ClientRequestToken="token-1")
    assert code == "IdempotentParameterMismatchException"
    out = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "Orders", "Key": {"customer": {"S": "ada"}, "seq": {"N": "0"}}, "ProjectionExpression": "visits"}},
        {"Get": {"TableName": "Orders", "Key": {"customer": {"S": "nobody"}, "seq": {"N": "0"}}}},
    ])
    assert out["Responses"] == [{"Item": {"visits": {"N": "1"}}}, {}]


def test_consumed_capacity_is_charged_as_dynamodb_charges(ddb):
    def item(seq, size):
        # pk "ada" (8+3) + seq (3 + 2) + "data" (4) + payload = size bytes in DynamoDB's counting
        return {"customer": {"S": "ada"}, "seq": {"N": str(seq)}, "data": {"S": "x" * (size - 20)}}

    def units(out):
        cap = out["ConsumedCapacity"]
        return [c["CapacityUnits"] for c in cap] if isinstance(cap, list) else cap["CapacityUnits"]

    key = {"customer": {"S": "ada"}, "seq": {"N": "50"}}
    assert units(ddb.put_item(TableName="Orders", Item=item(50, 5000), ReturnConsumedCapacity="TOTAL")) == 5.0
    assert units(ddb.get_item(TableName="Orders", Key=key, ReturnConsumedCapacity="TOTAL")) == 1.0  # 2 × 4 KB, halved
    assert units(ddb.get_item(TableName="Orders", Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")) == 2.0
    missing = {"customer": {"S": "nobody"}, "seq": {"N": "1"}}
    assert units(ddb.get_item(TableName="Orders", Key=missing, ReturnConsumedCapacity="TOTAL")) == 0.5
    out = ddb.update_item(TableName="Orders", Key=key, UpdateExpression="SET more = :m",
                          ExpressionAttributeValues={":m": {"S": "y" * 1000}}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": "Orders", "CapacityUnits": 6.0, "Table": {"CapacityUnits": 6.0}}
    assert units(ddb.delete_item(TableName="Orders", Key=key, ReturnConsumedCapacity="TOTAL")) == 6.0
    out = ddb.query(TableName="Orders", KeyConditionExpression="customer = :c", ExpressionAttributeValues={":c": {"S": "ada"}},
                    ReturnConsumedCapacity="TOTAL")
    assert units(out) == 0.5  # three small items: one 4 KB unit, halved
    out = ddb.batch_write_item(RequestItems={"Orders": [{"PutRequest": {"Item": item(60, 500)}},
                                                        {"PutRequest": {"Item": item(61, 1500)}}]},
                               ReturnConsumedCapacity="TOTAL")
    assert units(out) == [3.0]
    out = ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "Orders", "Item": item(62, 500)}}],
                                   ReturnConsumedCapacity="TOTAL")
    assert units(out) == [2.0]  # transactions cost double
    out = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "Orders", "Key": {"customer": {"S": "ada"}, "seq": {"N": "62"}}}}],
                                 ReturnConsumedCapacity="TOTAL")
    assert units(out) == [2.0]
