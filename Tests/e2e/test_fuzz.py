"""Bounded fuzzing of the proxy over the embedded store: mutated requests of every cached and
stored operation must each get a DynamoDB-shaped answer, and the proxy must keep serving.
Deterministic (fixed seed), a few hundred requests."""

import json
import random

from conftest import client, start_proxy
from rawhttp import post

SEEDS = {
    "GetItem": {"TableName": "Fuzz", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ProjectionExpression": "#a, b.c[0]",
                "ExpressionAttributeNames": {"#a": "a"}},
    "PutItem": {"TableName": "Fuzz", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "a": {"SS": ["x"]}, "b": {"M": {"c": {"L": [{"N": "1"}]}}}},
                "ConditionExpression": "attribute_not_exists(pk) OR size(a) < :n", "ExpressionAttributeValues": {":n": {"N": "5"}}},
    "UpdateItem": {"TableName": "Fuzz", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                   "UpdateExpression": "SET b.c[0] = b.c[0] + :one, d = list_append(if_not_exists(d, :e), :e) ADD a :s REMOVE z",
                   "ExpressionAttributeValues": {":one": {"N": "1"}, ":e": {"L": []}, ":s": {"SS": ["y"]}}, "ReturnValues": "ALL_NEW"},
    "Query": {"TableName": "Fuzz", "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
              "FilterExpression": "contains(a, :x) AND NOT attribute_type(b, :t)",
              "ExpressionAttributeValues": {":p": {"S": "a"}, ":a": {"N": "0"}, ":b": {"N": "9"}, ":x": {"S": "x"}, ":t": {"S": "S"}},
              "Limit": 2},
    "Scan": {"TableName": "Fuzz", "FilterExpression": "b.c[0] IN (:a, :b)", "Segment": 0, "TotalSegments": 2,
             "ExpressionAttributeValues": {":a": {"N": "1"}, ":b": {"N": "2"}}},
    "BatchGetItem": {"RequestItems": {"Fuzz": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}]}}},
    "TransactWriteItems": {"TransactItems": [{"Put": {"TableName": "Fuzz", "Item": {"pk": {"S": "t"}, "sk": {"N": "2"}}}}]},
}

TOKENS = ["(", ")", "AND", "OR", "NOT", "=", "<>", ":", "#", "[", "]", ".", ",", "size(", "SET", "REMOVE", "ADD",
          "BETWEEN", "IN", "\u0000", "é", "🙂", "1e999", "-", "+", "\\", "\"", "attribute_exists(", "9" * 30]
VALUES = [None, True, 0, -1, 1.5, "", "x" * 1000, [], {}, {"S": 1}, {"N": "NaN"}, {"B": "!!"}, {"SS": []},
          {"M": {"": {"NULL": True}}}, {"L": [{"L": [{"L": []}]}]}, "\ud83d", 10 ** 40]


def mutate(rng, value, depth=0):
    if isinstance(value, dict) and value and depth < 6:
        out = dict(value)
        key = rng.choice(list(out))
        choice = rng.random()
        if choice < 0.2:
            del out[key]
        elif choice < 0.4:
            out[key] = rng.choice(VALUES)
        elif choice < 0.5:
            out[rng.choice(["Unknown", "Limit", "Select", "ExclusiveStartKey", "IndexName", key + "x"])] = rng.choice(VALUES)
        else:
            out[key] = mutate(rng, out[key], depth + 1)
        return out
    if isinstance(value, list) and value and depth < 6:
        out = list(value)
        i = rng.randrange(len(out))
        out[i] = mutate(rng, out[i], depth + 1) if rng.random() < 0.7 else rng.choice(VALUES)
        if rng.random() < 0.2:
            out = out * rng.randint(2, 30)
        return out
    if isinstance(value, str):
        chars = list(value)
        for _ in range(rng.randint(1, 3)):
            pos = rng.randint(0, len(chars))
            if rng.random() < 0.5 and chars:
                del chars[min(pos, len(chars) - 1)]
            else:
                chars.insert(pos, rng.choice(TOKENS))
        return "".join(chars)
    return rng.choice(VALUES)


def test_mutated_requests_get_dynamodb_shaped_answers(tmp_path, redis_server):
    proxy = start_proxy("embedded", ["--data", str(tmp_path / "fuzz")])
    try:
        ddb = client(proxy.url)
        ddb.create_table(TableName="Fuzz", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                     {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "N"}], BillingMode="PAY_PER_REQUEST")
        rng = random.Random(20261126)
        statuses = {}
        for i in range(600):
            operation = rng.choice(sorted(SEEDS))
            request = mutate(rng, SEEDS[operation])
            body = json.dumps(request).encode() if rng.random() < 0.95 else json.dumps(request).encode()[: rng.randint(0, 40)]
            status, headers, data = post(proxy.url, f"DynamoDB_20120810.{operation}", body)
            assert status in (200, 400, 413), (operation, request, status, data[:200])
            if status != 200:
                doc = json.loads(data)
                assert "__type" in doc and (doc.get("message") or doc.get("Message")), (operation, request, data[:200])
            statuses[status] = statuses.get(status, 0) + 1
        assert statuses.get(200, 0) > 20 and statuses.get(400, 0) > 100
        # Still serving, and still correct.
        ddb.put_item(TableName="Fuzz", Item={"pk": {"S": "after"}, "sk": {"N": "1"}})
        assert ddb.get_item(TableName="Fuzz", Key={"pk": {"S": "after"}, "sk": {"N": "1"}})["Item"]["pk"] == {"S": "after"}
    finally:
        proxy.stop()
