"""Raw HTTP for requests an SDK would never send: malformed bodies, unknown targets, pipelining."""

import http.client
import json
import socket


def post(url, target, body, headers=None, timeout=30):
    host, port = url.replace("http://", "").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    h = {"Content-Type": "application/x-amz-json-1.0"}
    if target is not None:
        h["X-Amz-Target"] = target
    h.update(headers or {})
    conn.request("POST", "/", body=body, headers=h)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


class KeepAlive:
    """One HTTP/1.1 connection that never reconnects behind the test's back (http.client would,
    silently): a request after the proxy closed it raises instead of passing."""

    def __init__(self, url, timeout=30):
        host, port = url.replace("http://", "").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        self.conn.connect()
        self.conn.auto_open = 0
        self.sock = self.conn.sock

    def post(self, target, body, headers=None):
        h = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}
        h.update(headers or {})
        self.conn.request("POST", "/", body=body, headers=h)
        resp = self.conn.getresponse()
        data = resp.read()
        assert self.conn.sock is self.sock, "the proxy closed the connection"
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def close(self):
        self.conn.close()


def error_of(data):
    doc = json.loads(data)
    return doc["__type"].split("#")[-1], doc.get("message") or doc.get("Message")


def raw_exchange(url, payload, expect_responses, timeout=10):
    """Writes `payload` bytes on one connection and reads `expect_responses` HTTP responses."""
    host, port = url.replace("http://", "").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(payload)
        buf = b""
        responses = []
        while len(responses) < expect_responses:
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    return responses
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode().split("\r\n")
            headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
            length = int(headers.get("content-length", "0"))
            while len(buf) < length:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            body, buf = buf[:length], buf[length:]
            responses.append((int(lines[0].split()[1]), headers, body))
        return responses
