"""Fixtures for end-to-end tests: real processes on 127.0.0.1, real boto3 clients.

Every service is started here on a free port and stopped at the end of the session, so the
tests need nothing running beforehand: moto_server as the DynamoDB-compatible upstream and
`dynacache serve` (the binary built by `make test`) in front of it.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

import boto3
import pytest
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DYNACACHE = os.environ.get("DYNACACHE_BIN", os.path.join(ROOT, ".build", "debug", "dynacache"))

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, proc, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early with {proc.returncode}: {url}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answered
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {url}")


class Service:
    def __init__(self, args, ready_url, env=None, log_name="service"):
        self.log = tempfile.NamedTemporaryFile(prefix=f"{log_name}-", suffix=".log", delete=False)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        try:
            wait_for(ready_url, self.proc)
        except Exception:
            self.stop()
            with open(self.log.name) as f:
                print(f.read())
            raise

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class RedisServer:
    """A throwaway redis-server on a free loopback port."""

    def __init__(self, port=None, persistent_dir=None):
        """`persistent_dir`: keep data in an append-only file there (fsynced on every write),
        so a restart brings back what was stored, as a production Redis with AOF does."""
        self.port = port or free_port()
        self.persistent_dir = persistent_dir
        self.start()

    def start(self):
        persistence = ["--appendonly", "no"] if self.persistent_dir is None else \
            ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.persistent_dir)]
        self.proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                      *persistence], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def command(self, *args):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            payload = f"*{len(args)}\r\n" + "".join(f"${len(str(a))}\r\n{a}\r\n" for a in args)
            s.sendall(payload.encode())
            return s.recv(65536)


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """One redis-server for the session, for every test (autouse): a proxy started by a test
    that forgot to ask for it would otherwise fall back to 127.0.0.1:6379, and pass or fail
    depending on what ran before it."""
    server = RedisServer()
    os.environ["DYNACACHE_REDIS"] = server.url  # every proxy the tests start uses it
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_url(redis_server):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    svc = Service([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], url + "/moto-api/", log_name="moto")
    yield url
    svc.stop()


def start_proxy(upstream, extra_args=(), env=None, config="# empty: defaults only\n"):
    port, admin = free_port(), free_port()
    empty_config = tempfile.NamedTemporaryFile(prefix="dynacache-", suffix=".yaml", delete=False)
    empty_config.write(config.encode())
    empty_config.close()
    args = [
        DYNACACHE, "serve",
        "--config", empty_config.name,
        "--upstream", upstream,
        "--listen", f"127.0.0.1:{port}",
        "--admin-listen", f"127.0.0.1:{admin}",
        *extra_args,
    ]
    svc = Service(args, f"http://127.0.0.1:{admin}/health", env=env, log_name="dynacache")
    svc.url = f"http://127.0.0.1:{port}"
    svc.admin_url = f"http://127.0.0.1:{admin}"
    return svc


@pytest.fixture(scope="session")
def proxy(moto_url):
    svc = start_proxy(moto_url)
    yield svc
    svc.stop()


@pytest.fixture(scope="session")
def auth_proxy(moto_url):
    """A proxy that checks SigV4 against one configured key (and so forwards nothing else)."""
    svc = start_proxy(
        moto_url,
        ["--auth", "sigv4"],
        env={"DYNACACHE_AUTH_KEYS": "AKIDCLIENT:client-secret-key"},
    )
    yield svc
    svc.stop()


def check_crc32(http_response, **_):
    """DynamoDB signs every answer's body with `x-amz-crc32` (CRC32 of the exact bytes), and
    SDKs that check it retry or fail on a mismatch. Every answer any test receives is checked:
    the ones the proxy builds itself (cache hits, L1 hits, errors) must carry a right one."""
    body = http_response.content
    header = http_response.headers.get("x-amz-crc32")
    cache = http_response.headers.get("x-dynacache-cache")
    if cache is not None:
        assert header is not None, f"no x-amz-crc32 on a {cache} answer"
    if header is not None:
        assert int(header) == zlib.crc32(body), f"x-amz-crc32 {header} != CRC32 of the body ({cache}): {body[:200]!r}"


def client(url, service="dynamodb", key="AKIDCLIENT", secret="client-secret-key"):
    c = boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=NO_RETRIES,
    )
    if service == "dynamodb":
        c.meta.events.register("after-call.dynamodb", check_crc32)
    return c


def create_id_table(ddb, name, **extra):
    """A table keyed by one string attribute `id`, on demand unless `extra` says otherwise
    (BillingMode, ProvisionedThroughput, StreamSpecification...)."""
    extra.setdefault("BillingMode", "PAY_PER_REQUEST")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], **extra)


def wait_until(predicate, timeout=20.0, interval=0.05):
    """Polls `predicate` until it holds or `timeout` seconds pass; tests assert the result.
    Waiting for a condition with a deadline, not for a fixed time, keeps them true on a
    loaded machine."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def reset_moto(moto_url):
    """Wipes moto, and the cache in front of it (a reset that bypasses the proxy would leave
    entries a proxy cannot know are gone)."""
    req = urllib.request.Request(moto_url + "/moto-api/reset", method="POST", data=b"")
    urllib.request.urlopen(req, timeout=10).read()
    url = os.environ.get("DYNACACHE_REDIS")
    if url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
            s.recv(100)
            # and every proxy's in-process L1 tier
            s.sendall(b"*3\r\n$7\r\nPUBLISH\r\n$6\r\ndc:inv\r\n$1\r\n*\r\n")
            s.recv(100)


def start_store(data_dir, port=None, env=None, extra_args=()):
    """`dynacache store` on a free port over `data_dir`."""
    port = port or free_port()
    svc = Service([DYNACACHE, "store", "--listen", f"127.0.0.1:{port}", "--data", str(data_dir), *extra_args],
                  f"http://127.0.0.1:{port}/", env=env, log_name="store")
    svc.url = f"http://127.0.0.1:{port}"
    svc.port = port
    return svc


def start_misbehaving_upstream(upstream_url):
    """throttling_upstream.py in front of `upstream_url` (moto_server or `dynacache store`)."""
    port = free_port()
    svc = Service([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "throttling_upstream.py"),
                   str(port), upstream_url], f"http://127.0.0.1:{port}/counts", log_name="misbehaving")
    svc.url = f"http://127.0.0.1:{port}"

    def post(path, body=b""):
        urllib.request.urlopen(urllib.request.Request(svc.url + path, data=body, method="POST"), timeout=10).read()

    def counts():
        return json.loads(urllib.request.urlopen(svc.url + "/counts", timeout=10).read())

    svc.control = lambda **settings: post("/control", json.dumps(settings).encode())
    svc.release = lambda: post("/release")
    svc.counts = counts
    return svc


@pytest.fixture()
def store(tmp_path, redis_server):
    svc = start_store(tmp_path / "store")
    yield svc
    svc.stop()
