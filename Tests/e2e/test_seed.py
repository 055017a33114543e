"""`dynacache seed`: the load tests' tables (with their GSIs, streams and TTL) and deterministic
data, into the embedded store, `dynacache store` and moto_server; idempotent."""

import subprocess

from conftest import DYNACACHE, client, reset_moto, start_store

COUNTS = {"Users": 100, "Accounts": 150, "Conversations": 100, "Messages": 2000, "Jobs": 60, "JobRuns": 600,
          "Integrations": 60, "Analytics": 3000, "App": 2500}


def seed(*args):
    r = subprocess.run([DYNACACHE, "seed", *args], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def count(ddb, table):
    total, start = 0, None
    while True:
        page = ddb.scan(TableName=table, Select="COUNT", **({"ExclusiveStartKey": start} if start else {}))
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def check(ddb):
    for table, n in COUNTS.items():
        assert count(ddb, table) == n, table
    d = ddb.describe_table(TableName="Analytics")["Table"]
    assert sorted(g["IndexName"] for g in d["GlobalSecondaryIndexes"]) == ["byAccount", "byUser"]
    assert d["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert ddb.describe_time_to_live(TableName="Messages")["TimeToLiveDescription"]["AttributeName"] == "expiresAt"
    jobs = ddb.query(TableName="Jobs", IndexName="byAccount", KeyConditionExpression="accountId = :a",
                     ExpressionAttributeValues={":a": {"S": "acct-000003"}})["Items"]
    assert [j["jobId"]["S"] for j in jobs] == ["job-000003"]
    history = ddb.query(TableName="App", KeyConditionExpression="PK = :p AND begins_with(SK, :m)",
                        ExpressionAttributeValues={":p": {"S": "CONVERSATION#conv-000007"}, ":m": {"S": "MESSAGE#"}})
    assert history["Count"] == 20
    return ddb.get_item(TableName="Users", Key={"userId": {"S": "user-000042"}})["Item"]


def test_seed_is_idempotent_and_deterministic_across_stores(store, moto_url):
    out = seed("--endpoint", store.url)
    assert "seeded small profile" in out.stdout and "items" in out.stderr  # progress on stderr
    seed("--endpoint", store.url)  # again: same tables, same items
    from_store = check(client(store.url))
    reset_moto(moto_url)
    seed("--endpoint", moto_url)
    from_moto = check(client(moto_url))
    assert from_store == from_moto  # the same generated data everywhere


def test_seed_into_the_embedded_store(tmp_path):
    seed("--endpoint", "embedded", "--data", str(tmp_path / "d"))
    svc = start_store(tmp_path / "d")  # the same SQLite file, served
    try:
        check(client(svc.url))
    finally:
        svc.stop()
    r = subprocess.run([DYNACACHE, "seed", "--profile", "huge"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "small, medium or large" in r.stderr + r.stdout
