"""A DynamoDB-compatible upstream that misbehaves on purpose, in front of moto_server.

It forwards requests to moto unless told otherwise by POST /control:
  {"rate": r, "burst": b}     a token bucket of r requests/s (b at once); past it, requests are
                              throttled (ProvisionedThroughputExceededException), as a
                              provisioned table's capacity would throttle them
  {"apply_then_fail": [ops]}  forward these operations, then answer 500 InternalServerError
  {"hold": [ops]}             keep requests of these operations waiting (not forwarded yet)
                              until POST /release; tests use it to know, not guess, that
                              other requests arrive while one is in flight
  {} (empty)                  behave
GET /counts gives {"forwarded": {op: n}, "throttled": n, "throttledByOp": {op: n}, "held": n}
("held": requests waiting now).
"""

import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = sys.argv[2]
released = threading.Event()
state = {"hold": [], "held": 0, "rate": None, "burst": 0, "tokens": 0.0, "last": 0.0, "apply_then_fail": [], "forwarded": {}, "throttled": 0,
         "throttledByOp": {}}
lock = threading.Lock()


def error(handler, status, code, message):
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/x-amz-json-1.0")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with lock:
            body = json.dumps({"forwarded": state["forwarded"], "throttled": state["throttled"],
                               "throttledByOp": state["throttledByOp"], "held": state["held"]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/release":
            with lock:
                state["hold"] = []
            released.set()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/control":
            with lock:
                control = json.loads(body or b"{}")
                state.update(rate=control.get("rate"), burst=control.get("burst", 0), tokens=float(control.get("burst", 0)),
                             last=time.monotonic(), apply_then_fail=control.get("apply_then_fail", []),
                             forwarded={}, throttled=0, throttledByOp={}, hold=control.get("hold", []))
                if state["hold"]:
                    released.clear()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        op = (self.headers.get("X-Amz-Target") or "").split(".")[-1]
        with lock:
            hold = op in state["hold"]
            if hold:
                state["held"] += 1
        if hold:
            released.wait(timeout=60)
            with lock:
                state["held"] -= 1
        with lock:
            throttled = False
            if state["rate"] is not None and op:
                now = time.monotonic()
                state["tokens"] = min(float(state["burst"]), state["tokens"] + (now - state["last"]) * state["rate"])
                state["last"] = now
                if state["tokens"] >= 1:
                    state["tokens"] -= 1
                else:
                    throttled = True
            if throttled:
                state["throttled"] += 1
                state["throttledByOp"][op] = state["throttledByOp"].get(op, 0) + 1
            else:
                state["forwarded"][op] = state["forwarded"].get(op, 0) + 1
            fail = op in state["apply_then_fail"]
        if throttled:
            return error(self, 400, "ProvisionedThroughputExceededException",
                         "The level of configured provisioned throughput for the table was exceeded.")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(UPSTREAM + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, data, rheaders = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            status, data, rheaders = e.code, e.read(), e.headers
        if fail:
            return error(self, 500, "InternalServerError", "Internal server error (after applying)")
        self.send_response(status)
        for k in ("Content-Type", "x-amz-crc32", "x-amzn-RequestId"):
            if rheaders.get(k):
                self.send_header(k, rheaders.get(k))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
