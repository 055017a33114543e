#!/usr/bin/env python3
"""End-to-end invalidation lag: a write made straight to the table store (bypassing the proxy)
until a read through the proxy sees it, for a steady stream of such writes, over `dynacache
store` and over moto_server. Each sample: write v_i directly, then read through the proxy every
2 ms until v_i comes back (the cached v_{i-1} has a 60 s staleTime, so only the change stream can
end the wait). Prints p50 / p99 / max per upstream; release build."""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "dynacache")
SAMPLES = int(os.environ.get("SAMPLES", "200"))
CONFIG = """
cache:
  default:
    staleTime: 60000
changeStream:
  idlePollMinMs: 5
  idlePollMaxMs: 50
  describeIntervalMs: 1000
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait(url):
    for _ in range(400):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # answering, if not to this
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    raise SystemExit(f"timeout: {url}")


def client(url):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="b",
                        aws_secret_access_key="b", config=Config(retries={"total_max_attempts": 1}))


def measure(name, upstream, redis_port, procs):
    port, admin = free_port(), free_port()
    config = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    config.write(CONFIG)
    config.close()
    procs.append(subprocess.Popen([BIN, "serve", "--config", config.name, "--upstream", upstream,
                                   "--redis", f"redis://127.0.0.1:{redis_port}", "--listen", f"127.0.0.1:{port}",
                                   "--admin-listen", f"127.0.0.1:{admin}", "--log-level", "warning"]))
    wait(f"http://127.0.0.1:{admin}/health")
    direct, proxy = client(upstream), client(f"http://127.0.0.1:{port}")
    direct.create_table(TableName="Lag", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST",
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    key = {"pk": {"S": "k"}}
    direct.put_item(TableName="Lag", Item={**key, "v": {"N": "0"}})
    proxy.get_item(TableName="Lag", Key=key)
    time.sleep(1.5)  # the consumer is reading
    lags = []
    for i in range(1, SAMPLES + 1):
        proxy.get_item(TableName="Lag", Key=key)  # cached v_{i-1}
        start = time.perf_counter()
        direct.put_item(TableName="Lag", Item={**key, "v": {"N": str(i)}})
        while proxy.get_item(TableName="Lag", Key=key).get("Item", {}).get("v", {}).get("N") != str(i):
            time.sleep(0.002)
            if time.perf_counter() - start > 30:
                raise SystemExit(f"{name}: write {i} never became visible")
        lags.append((time.perf_counter() - start) * 1000)
        time.sleep(0.02)
    lags.sort()
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    print(f"{name:<16} {SAMPLES} writes: invalidation lag p50 {statistics.median(lags):6.1f} ms  "
          f"p99 {p99:6.1f} ms  max {lags[-1]:6.1f} ms")


def main():
    procs = []
    try:
        redis_port, store_port, moto_port = free_port(), free_port(), free_port()
        procs.append(subprocess.Popen(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                                      stdout=subprocess.DEVNULL))
        data = tempfile.mkdtemp()
        procs.append(subprocess.Popen([BIN, "store", "--listen", f"127.0.0.1:{store_port}", "--data", data]))
        procs.append(subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait(f"http://127.0.0.1:{store_port}/")
        wait(f"http://127.0.0.1:{moto_port}/moto-api/")
        time.sleep(0.3)
        measure("dynacache store", f"http://127.0.0.1:{store_port}", redis_port, procs)
        measure("moto_server", f"http://127.0.0.1:{moto_port}", redis_port, procs)
    finally:
        for p in procs:
            p.terminate()


if __name__ == "__main__":
    main()
