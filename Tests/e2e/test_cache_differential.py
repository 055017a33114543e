"""The cache's differential test: a client must not be able to tell the proxy is there.

Two twin `dynacache store` processes start empty. Hypothesis draws a random sequence of
requests; each is sent to the first store directly and to the second through one of two proxies
that share one Redis (L1 on, Query and Scan caching on), and the answers are compared: status,
error type, and the parsed body (ConsumedCapacity dropped, sets and BatchGetItem's unordered
Responses sorted). Reads are repeated so that they hit. The sequence mixes GetItem with
projections whose attribute names imitate path syntax, tables named by ARN, BatchGetItem across
tables that share keys (with duplicates and past 100 keys), Query on the base table, an LSI and a
GSI with pages, Scan, every write operation the store has, and requests the store refuses.

With `--replica-lag` on both stores, the direct side reads with ConsistentRead (what the table
holds after every acknowledged write) while the proxied side reads as the client asked: the
proxy must still return what a consistent read returns. GSI reads cannot be consistent
anywhere, so under lag they are sent but not compared.

Not compared here: PartiQL (the embedded store does not support it yet). The proxy's reading of
PartiQL writes (which item, else which table) is unit-tested in PartiQLWriteTests.

`make test` runs a bounded, seeded number of examples; `make fuzz-differential` runs for as long
as asked (DIFF_EXAMPLES, DIFF_SEED) and prints every divergence it finds.
"""

import json
import os

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from conftest import start_proxy, start_store
from rawhttp import post

EXAMPLES = int(os.environ.get("DIFF_EXAMPLES", "12"))
STEPS = int(os.environ.get("DIFF_STEPS", "40"))

CONFIG = """
cache:
  default:
    staleTime: 60000
    staleWhileRevalidate: 0
    staleIfError: 0
    negativeTTL: 60000
    tombstone: 3000
    cacheQueries: true
    cacheScans: true
  l1:
    enabled: true
    ttlMs: 60000
"""

ACCOUNT_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/"
PKS = ["p0", "p1", "p2"]
SKS = [0, 1, 2]
# Attribute names that imitate path syntax: a projection of one must never answer for another.
NAMES = ["a", "b", "a, b", "a.b", "b[0]", "g", "n"]

TABLES = {
    "DiffA": {
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "n", "AttributeType": "N"}, {"AttributeName": "g", "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "LocalSecondaryIndexes": [{
            "IndexName": "byN",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        "GlobalSecondaryIndexes": [{
            "IndexName": "byG",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        "BillingMode": "PAY_PER_REQUEST",
    },
    # The same key names as DiffA: a BatchGetItem across both asks for equal keys.
    "DiffB": {
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST",
    },
}

values = st.one_of(
    st.integers(0, 3).map(lambda n: {"N": str(n)}),
    st.sampled_from(["x", "y", "z"]).map(lambda s: {"S": s}),
    st.just({"SS": ["s1", "s2"]}),
    st.just({"M": {"k": {"S": "v"}}}),
    st.just({"L": [{"N": "1"}, {"S": "two"}]}),
)
keys = st.tuples(st.sampled_from(PKS), st.sampled_from(SKS)).map(lambda t: {"pk": {"S": t[0]}, "sk": {"N": str(t[1])}})
tables = st.sampled_from(sorted(TABLES))


def table_ref(draw, table):
    """A table's name, or (sometimes) its ARN."""
    return ACCOUNT_ARN + table if draw(st.booleans()) and draw(st.booleans()) else table


@st.composite
def items(draw, table):
    item = dict(draw(keys))
    for name in draw(st.lists(st.sampled_from(["a", "b", "a, b", "a.b", "b[0]"]), max_size=3, unique=True)):
        item[name] = draw(values)
    if table == "DiffA":
        if draw(st.booleans()):
            item["n"] = {"N": str(draw(st.integers(0, 3)))}
        if draw(st.booleans()):
            item["g"] = {"S": draw(st.sampled_from(["g0", "g1"]))}
    return item


@st.composite
def projections(draw):
    """A ProjectionExpression with its names, or nothing."""
    names = draw(st.lists(st.sampled_from(NAMES + ["pk", "sk"]), max_size=3, unique=True))
    if not names:
        return {}
    placeholders = {f"#p{i}": name for i, name in enumerate(names)}
    out = {"ProjectionExpression": ", ".join(placeholders), "ExpressionAttributeNames": placeholders}
    if draw(st.integers(0, 9)) == 0:
        out["ExpressionAttributeNames"]["#unused"] = "zz"  # the store refuses an unused name
    return out


def canonical(value):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("ConsumedCapacity", "ItemCollectionMetrics"):
                continue
            out[k] = sorted(v, key=json.dumps) if k in ("SS", "NS", "BS") else canonical(v)
        return out
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def outcome(status, data):
    doc = json.loads(data) if data else {}
    if status != 200:
        return (status, doc.get("__type", "").split("#")[-1])
    if "Responses" in doc and isinstance(doc["Responses"], dict):
        doc["Responses"] = {t: sorted(canonical(v), key=json.dumps) for t, v in doc["Responses"].items()}
    return (status, canonical(doc))


class Cluster:
    """Two twin stores; two proxies (one Redis, L1 on) in front of the second."""

    def __init__(self, tmp, lag):
        extra = ["--replica-lag", str(lag)] if lag else []
        self.lag = lag
        self.direct = start_store(tmp / "direct", extra_args=extra)
        self.behind = start_store(tmp / "behind", extra_args=extra)
        self.proxies = [start_proxy(self.behind.url, config=CONFIG) for _ in range(2)]
        self.n = 0

    def stop(self):
        for svc in self.proxies + [self.direct, self.behind]:
            svc.stop()

    def reset(self):
        """Fresh tables on both sides, under new names, so that no example sees another's."""
        self.n += 1
        self.names = {t: f"{t}{self.n}" for t in TABLES}
        for table, spec in TABLES.items():
            body = dict(spec, TableName=self.names[table])
            for url in (self.direct.url, self.proxies[0].url):
                status, _, data = post(url, "DynamoDB_20120810.CreateTable", json.dumps(body).encode())
                assert status == 200, data


class Differential(RuleBasedStateMachine):
    cluster: Cluster = None
    divergences: list = None
    statuses: dict = None

    def __init__(self):
        super().__init__()
        self.cluster.reset()
        self.history = []

    def rename(self, value):
        """Spells the example's tables (DiffA → DiffA7) in names, ARNs and RequestItems keys."""
        text = json.dumps(value)
        for short, full in sorted(self.cluster.names.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(f'"{short}"', f'"{full}"').replace(f"/{short}\"", f"/{full}\"")
        return json.loads(text)

    def send(self, operation, body, proxy, compare=True, consistent_direct=False):
        body = self.rename(body)
        direct_body = dict(body)
        if consistent_direct and self.cluster.lag:
            direct_body["ConsistentRead"] = True
            if "RequestItems" in direct_body:
                direct_body["RequestItems"] = {
                    t: dict(spec, ConsistentRead=True) for t, spec in direct_body["RequestItems"].items()}
        target = "DynamoDB_20120810." + operation
        d_status, _, d_data = post(self.cluster.direct.url, target, json.dumps(direct_body).encode())
        p_status, p_headers, p_data = post(self.cluster.proxies[proxy].url, target, json.dumps(body).encode())
        cache = p_headers.get("x-dynacache-cache")
        self.history.append((operation, body, proxy, cache))
        self.statuses[cache] = self.statuses.get(cache, 0) + 1
        if not compare:
            return d_status, d_data
        expected, got = outcome(d_status, d_data), outcome(p_status, p_data)
        if expected != got:
            self.divergences.append({"request": (operation, body, proxy), "store": expected, "proxy": got,
                                     "history": self.history[-8:]})
        assert expected == got, f"{operation} through proxy {proxy} diverged:\n store: {expected}\n proxy: {got}\n" \
                                f" request: {json.dumps(body)}\n recent: {self.history[-8:]}"
        return d_status, d_data

    # Writes

    @rule(data=st.data(), proxy=st.integers(0, 1))
    def put_item(self, data, proxy):
        table = data.draw(tables)
        body = {"TableName": table_ref(data.draw, table), "Item": data.draw(items(table))}
        if data.draw(st.booleans()):
            body["ReturnValues"] = "ALL_OLD"
        if data.draw(st.integers(0, 3)) == 0:
            body["ConditionExpression"] = "attribute_not_exists(pk)"
        self.send("PutItem", body, proxy)

    @rule(data=st.data(), proxy=st.integers(0, 1))
    def update_item(self, data, proxy):
        table = data.draw(tables)
        name = data.draw(st.sampled_from(["a", "b", "a, b", "g"] if table == "DiffA" else ["a", "b", "a, b"]))
        body = {"TableName": table_ref(data.draw, table), "Key": data.draw(keys),
                "ExpressionAttributeNames": {"#n": name}}
        if data.draw(st.booleans()):
            value = {"S": data.draw(st.sampled_from(["g0", "g1"]))} if name == "g" else data.draw(values)
            body["UpdateExpression"] = "SET #n = :v"
            body["ExpressionAttributeValues"] = {":v": value}
        else:
            body["UpdateExpression"] = "REMOVE #n"
        body["ReturnValues"] = data.draw(st.sampled_from(["NONE", "ALL_NEW", "UPDATED_OLD"]))
        self.send("UpdateItem", body, proxy)

    @rule(data=st.data(), proxy=st.integers(0, 1))
    def delete_item(self, data, proxy):
        table = data.draw(tables)
        body = {"TableName": table_ref(data.draw, table), "Key": data.draw(keys)}
        if data.draw(st.booleans()):
            body["ReturnValues"] = "ALL_OLD"
        self.send("DeleteItem", body, proxy)

    @rule(data=st.data(), proxy=st.integers(0, 1))
    def batch_write(self, data, proxy):
        request_items = {}
        for table in data.draw(st.lists(tables, min_size=1, max_size=2, unique=True)):
            writes, seen = [], set()
            for _ in range(data.draw(st.integers(1, 4))):
                if data.draw(st.booleans()):
                    item = data.draw(items(table))
                    key, request = (item["pk"]["S"], item["sk"]["N"]), {"PutRequest": {"Item": item}}
                else:
                    k = data.draw(keys)
                    key, request = (k["pk"]["S"], k["sk"]["N"]), {"DeleteRequest": {"Key": k}}
                if key not in seen:
                    seen.add(key)
                    writes.append(request)
            request_items[table] = writes
        self.send("BatchWriteItem", {"RequestItems": request_items}, proxy)

    @rule(data=st.data(), proxy=st.integers(0, 1))
    def transact_write(self, data, proxy):
        a, b = data.draw(items("DiffA")), data.draw(keys)
        body = {"TransactItems": [
            {"Put": {"TableName": "DiffA", "Item": a}},
            {"Update": {"TableName": "DiffB", "Key": b, "UpdateExpression": "SET a = :v",
                        "ExpressionAttributeValues": {":v": data.draw(values)}}},
        ]}
        self.send("TransactWriteItems", body, proxy)

    # Reads (each sent twice through the proxy: the second may hit)

    def read(self, operation, body, data, compare=True):
        """Sent once or more, through either proxy; the store's (last) answer."""
        for proxy in data.draw(st.lists(st.integers(0, 1), min_size=1, max_size=3)):
            answer = self.send(operation, body, proxy, compare=compare, consistent_direct=operation != "Query" or body.get("IndexName") != "byG")
        return answer

    @rule(data=st.data())
    def get_item(self, data):
        table = data.draw(tables)
        body = {"TableName": table_ref(data.draw, table), "Key": data.draw(keys), **data.draw(projections())}
        self.read("GetItem", body, data)

    @rule(data=st.data())
    def batch_get(self, data):
        request_items = {}
        for table in data.draw(st.lists(tables, min_size=1, max_size=2, unique=True)):
            ks = data.draw(st.lists(keys, min_size=1, max_size=4, unique_by=json.dumps))
            if data.draw(st.integers(0, 7)) == 0:
                ks.append(ks[0])  # a key listed twice: the store refuses the request
            spec = {"Keys": ks}
            if data.draw(st.booleans()):
                spec.update(data.draw(projections()))
            request_items[table] = spec
        if data.draw(st.integers(0, 9)) == 0:  # past DynamoDB's 100 keys
            request_items["DiffB"] = {"Keys": [{"pk": {"S": f"q{i}"}, "sk": {"N": "0"}} for i in range(101)]}
        self.read("BatchGetItem", {"RequestItems": request_items}, data)

    @rule(data=st.data())
    def query(self, data):
        index = data.draw(st.sampled_from([None, "byN", "byG"]))
        table = "DiffA" if index else data.draw(tables)
        if index == "byG":
            body = {"KeyConditionExpression": "g = :p", "ExpressionAttributeValues": {":p": {"S": data.draw(st.sampled_from(["g0", "g1"]))}}}
        else:
            body = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": data.draw(st.sampled_from(PKS))}}}
        body["TableName"] = table_ref(data.draw, table)
        if index:
            body["IndexName"] = index
        if data.draw(st.booleans()):
            body["Limit"] = data.draw(st.integers(1, 3))
        if data.draw(st.booleans()):
            body["ScanIndexForward"] = False
        if data.draw(st.integers(0, 7)) == 0:
            body["ExpressionAttributeValues"][":unused"] = {"S": "x"}
        compare = not (index == "byG" and self.cluster.lag)
        status, out = self.read("Query", body, data, compare=compare)
        last = json.loads(out).get("LastEvaluatedKey") if status == 200 else None
        if last:  # the next page too, from the store's own LastEvaluatedKey
            self.read("Query", dict(body, ExclusiveStartKey=last), data, compare=compare)

    @rule(data=st.data())
    def scan(self, data):
        table = data.draw(tables)
        body = {"TableName": table_ref(data.draw, table)}
        if data.draw(st.booleans()):
            body["FilterExpression"] = "attribute_exists(#a)"
            body["ExpressionAttributeNames"] = {"#a": data.draw(st.sampled_from(NAMES))}
        if data.draw(st.booleans()):
            body["Limit"] = data.draw(st.integers(1, 5))
        self.read("Scan", body, data)

    @rule(data=st.data())
    def invalid_get(self, data):
        table = data.draw(tables)
        body = data.draw(st.sampled_from([
            {"TableName": table, "Key": {"pk": {"S": "p0"}}},  # half a key
            {"TableName": table, "Key": {"pk": {"N": "1"}, "sk": {"N": "1"}}},  # wrong type
            {"TableName": table, "Key": {"pk": {"S": "p0"}, "sk": {"N": "0"}}, "ProjectionExpression": "#undefined"},
            {"TableName": "NoSuchTable", "Key": {"pk": {"S": "p0"}, "sk": {"N": "0"}}},
        ]))
        self.read("GetItem", body, data)


@pytest.mark.parametrize("lag", [0, 300])
def test_the_proxy_answers_as_the_store_does(tmp_path, redis_server, lag):
    cluster = Cluster(tmp_path, lag)
    divergences, statuses = [], {}
    Differential.cluster, Differential.divergences, Differential.statuses = cluster, divergences, statuses
    try:
        run_state_machine_as_test(
            Differential,
            settings=settings(
                max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize="DIFF_SEED" not in os.environ,
                database=None, suppress_health_check=list(HealthCheck), print_blob=True,
            ),
        )
    finally:
        cluster.stop()
        for d in divergences:
            print(json.dumps(d, indent=1, default=str))
        print("x-dynacache-cache:", statuses)
    # The comparison meant something: answers came from the cache, both from Redis and L1.
    assert statuses.get("hit", 0) > 20 and statuses.get("miss", 0) > 20, statuses
