#!/usr/bin/env python3
"""Checks `iocp http` with clients that share no code with iocp: curl, Python's http.client, and wrk.

Usage: scripts/http_check.py HOST PORT --label LABEL --timeout-ms MS [--junit PATH] [--wrk-connections N]
  LABEL names the run in the report (e.g. native.io_uring); MS is the --timeout the server was started with.
Every case prints one line; the run goes on after a failure (each case uses its own connections) and exits 1 if
any failed. The server must be running already; it is never restarted between cases, so the last cases also show
that it kept serving through the earlier ones.
"""
import argparse
import hashlib
import http.client
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("host")
ap.add_argument("port", type=int)
ap.add_argument("--label", required=True)
ap.add_argument("--timeout-ms", type=int, required=True)
ap.add_argument("--junit")
ap.add_argument("--wrk-connections", type=int, default=16)
ap.add_argument("--wrk-seconds", type=int, default=3)
args = ap.parse_args()

BASE = f"http://{args.host}:{args.port}"
# Bounds for a broken server, never timing assertions: a case that waits this long has failed anyway.
IO_TIMEOUT = max(30.0, 5 * args.timeout_ms / 1000)
TMP = tempfile.mkdtemp(prefix="http-check-")


def pattern(n):
    block = bytes(range(256))
    return (block * (n // 256 + 1))[:n]


def curl(*a, data_file=None):
    """Runs curl; returns (exit code, stdout bytes, stderr text)."""
    cmd = ["curl", "-sS", "--max-time", str(int(IO_TIMEOUT))] + list(a)
    p = subprocess.run(cmd, capture_output=True, timeout=IO_TIMEOUT + 10)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def curl_ok(*a):
    rc, out, err = curl(*a)
    assert rc == 0, f"curl {' '.join(a)} exited {rc}: {err.strip()}"
    return out


def split_head(raw):
    """curl -i output -> (status, {lowercase header: value}, body); skips 1xx interim responses."""
    while True:
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if status >= 200:
            break
        raw = body
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def connect():
    s = socket.create_connection((args.host, args.port), timeout=IO_TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Responses:
    """Reads successive responses from one socket with http.client's own parser (HTTPResponse per response)."""

    def __init__(self, sock):
        self.sock = sock
        self.file = sock.makefile("rb")

    def next(self, method="GET"):
        r = http.client.HTTPResponse(self, method=method)  # uses self.makefile()
        r.begin()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body

    def makefile(self, mode):
        return _Shared(self.file)

    def at_clean_eof(self):
        """True if the server closed with FIN and sent nothing more; False if it reset."""
        try:
            return self.file.read(1) == b""
        except ConnectionResetError:
            return False


class _Shared:
    """The connection's one buffered reader, lent to a response: http.client closes its file after each body."""

    def __init__(self, f):
        self._f = f

    def __getattr__(self, name):
        return getattr(self._f, name)

    def close(self):
        pass


def req(method, path, headers=(), body=b"", version="HTTP/1.1"):
    lines = [f"{method} {path} {version}", f"Host: {args.host}"] + list(headers)
    if body and not any(h.lower().startswith("transfer-encoding") for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# ---- curl ----

def case_curl_plaintext():
    status, headers, body = split_head(curl_ok("-i", f"{BASE}/plaintext"))
    assert status == 200, status
    assert headers.get("content-type") == "text/plain", headers
    assert body == b"Hello, World!", body


def case_curl_bytes():
    n = 5_000_000
    got = curl_ok(f"{BASE}/bytes/{n}")
    assert len(got) == n, f"{len(got)} bytes, not {n}"
    assert got == pattern(n), "byte i is not i mod 256"


def _echo(*extra):
    body = os.urandom(3_000_000)
    path = os.path.join(TMP, "body.bin")
    with open(path, "wb") as f:
        f.write(body)
    out = curl_ok("-i", "--data-binary", f"@{path}", "-H", "Content-Type: application/x-check", *extra, f"{BASE}/echo")
    status, headers, got = split_head(out)
    assert status == 200, status
    assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest(), f"echo differs ({len(got)} bytes back)"
    return headers


def case_curl_echo_content_length():
    headers = _echo()
    assert headers.get("content-length") == "3000000", headers


def case_curl_echo_chunked():
    headers = _echo("-H", "Transfer-Encoding: chunked")
    assert headers.get("transfer-encoding") == "chunked", headers


def case_curl_keep_alive():
    # -w once per transfer: num_connects is 1 for a new connection, 0 for a re-used one
    out = curl_ok("-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n",
                  f"{BASE}/plaintext", f"{BASE}/bytes/100000", f"{BASE}/plaintext").decode().split("\n")
    assert out[:3] == ["200 1", "200 0", "200 0"], f"three transfers over one connection expected, got {out}"


def case_curl_connection_close():
    out = curl_ok("-o", "/dev/null", "-o", "/dev/null", "-H", "Connection: close", "-w", "%{http_code} %{num_connects}\n",
                  f"{BASE}/plaintext", f"{BASE}/plaintext").decode().split("\n")
    assert out[:2] == ["200 1", "200 1"], f"each transfer on a new connection expected, got {out}"
    status, headers, _ = split_head(curl_ok("-i", "-H", "Connection: close", f"{BASE}/plaintext"))
    assert headers.get("connection", "").lower() == "close", headers


def case_curl_http10():
    status, headers, body = split_head(curl_ok("-i", "--http1.0", f"{BASE}/plaintext"))
    assert status == 200 and body == b"Hello, World!", (status, body)
    assert headers.get("connection", "").lower() == "close", headers


def case_curl_refusals():
    for args_, want in [((f"{BASE}/nothing",), 404), (("-X", "POST", f"{BASE}/plaintext"), 405),
                        ((f"{BASE}/bytes/99999999999",), 400)]:
        code = curl_ok("-o", "/dev/null", "-w", "%{http_code}", *args_).decode()
        assert code == str(want), f"{args_}: {code}, not {want}"


# ---- Python: http.client over raw sockets ----

def case_python_pipelining():
    with connect() as s:
        s.sendall(req("GET", "/plaintext") + req("GET", "/bytes/300000") + req("POST", "/echo", body=b"first")
                  + req("POST", "/echo", ["Transfer-Encoding: chunked"], b"6\r\nsecond\r\n0\r\n\r\n")
                  + req("GET", "/nothing") + req("GET", "/plaintext"))
        rs = Responses(s)
        got = [rs.next(), rs.next(), rs.next("POST"), rs.next("POST"), rs.next(), rs.next()]
        assert [g[0] for g in got] == [200, 200, 200, 200, 404, 200], [g[0] for g in got]
        assert got[0][2] == b"Hello, World!"
        assert got[1][2] == pattern(300000)
        assert got[2][2] == b"first" and got[3][2] == b"second", (got[2][2], got[3][2])
        assert got[5][2] == b"Hello, World!"


def case_python_deep_pipelining():
    n = 3000  # ~100 KB in one go: more requests than one receive holds
    with connect() as s:
        sender = threading.Thread(target=s.sendall, args=(req("GET", "/plaintext") * n,), daemon=True)
        sender.start()
        rs = Responses(s)
        for i in range(n):
            status, _, body = rs.next()
            assert status == 200 and body == b"Hello, World!", f"response {i}: {status} {body[:40]!r}"
        sender.join(IO_TIMEOUT)


def case_python_pipelined_connection_close():
    n = 4_000_000  # more than the socket buffers hold: the close must wait for it to be read
    with connect() as s:
        s.sendall(req("GET", "/plaintext") + req("GET", f"/bytes/{n}", ["Connection: close"]) + req("GET", "/plaintext")
                  + req("GET", "/plaintext"))
        rs = Responses(s)
        assert rs.next()[2] == b"Hello, World!"
        status, headers, body = rs.next()
        assert status == 200 and headers.get("connection", "").lower() == "close", (status, headers)
        assert body == pattern(n), f"the Connection: close response came back cut or altered ({len(body)} bytes)"
        assert rs.at_clean_eof(), "after the close response: a reset, or more responses, instead of a clean FIN"


def case_python_http10_keep_alive():
    with connect() as s:
        s.sendall(req("GET", "/plaintext", ["Connection: keep-alive"], version="HTTP/1.0"))
        rs = Responses(s)
        status, headers, body = rs.next()
        assert headers.get("connection", "").lower() == "keep-alive", headers
        s.sendall(req("GET", "/plaintext", version="HTTP/1.0"))
        status, headers, body = rs.next()
        assert body == b"Hello, World!" and headers.get("connection", "").lower() == "close", headers
        assert rs.at_clean_eof()


def _refused(raw, want):
    with connect() as s:
        s.sendall(raw)
        rs = Responses(s)
        status, headers, _ = rs.next()
        assert status == want, f"{status}, not {want}"
        assert headers.get("connection", "").lower() == "close", headers
        assert rs.at_clean_eof(), "not closed after the refusal"


def case_python_malformed_400():
    _refused(b"GARBAGE\r\n\r\n", 400)
    _refused(b"GET /plaintext HTTP/1.1\r\n\r\n", 400)  # HTTP/1.1 without Host


def case_python_limits_431_413():
    _refused(req("GET", "/" + "a" * 20000), 431)
    _refused(req("GET", "/plaintext", ["X-Big: " + "b" * 70000]), 431)
    _refused(req("POST", "/echo", [f"Content-Length: {4 << 30}"]), 413)


def case_python_slow_head_408_and_idle_close():
    with connect() as slow, connect() as idle:
        slow.sendall(b"GET /plaintext HTTP/1.1\r\nHost:")  # and nothing more
        rs_idle = Responses(idle)
        idle.sendall(req("GET", "/plaintext"))
        assert rs_idle.next()[0] == 200
        assert curl_ok(f"{BASE}/plaintext") == b"Hello, World!", "others are served while a head is slow"
        rs = Responses(slow)
        status, headers, _ = rs.next()  # comes once the head's deadline has passed
        assert status == 408, status
        assert rs.at_clean_eof()
        assert rs_idle.at_clean_eof(), "an idle keep-alive connection past its deadline is closed without a response"


def case_python_reset_mid_response():
    s = connect()
    s.sendall(req("GET", f"/bytes/{1 << 30}"))
    f = s.makefile("rb")
    got = 0
    while got < 1_000_000:
        chunk = f.read1(65536)
        assert chunk, "EOF"
        got += len(chunk)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    f.close()
    s.close()  # RST while the server streams
    assert curl_ok(f"{BASE}/plaintext") == b"Hello, World!", "the server stopped serving after a reset"


# ---- wrk ----

def case_wrk_plaintext():
    c = args.wrk_connections
    p = subprocess.run(["wrk", "-t", "1", "-c", str(c), "-d", f"{args.wrk_seconds}s", "--timeout", "10s",
                        f"{BASE}/plaintext"], capture_output=True, text=True, timeout=args.wrk_seconds + 60)
    out = p.stdout
    print("  " + "\n  ".join(line for line in out.splitlines() if line.strip()))
    assert p.returncode == 0, f"wrk exited {p.returncode}: {p.stderr}"
    m = re.search(r"(\d+) requests in", out)
    assert m and int(m.group(1)) > 0, "wrk made no request"
    assert "Non-2xx or 3xx responses" not in out, "wrk saw responses that were not 200"
    assert "Socket errors" not in out, "wrk saw socket errors"


CASES = [(name[len("case_"):], fn) for name, fn in list(globals().items()) if name.startswith("case_")]

results = []
for name, case in CASES:
    t0 = time.time()
    try:
        case()
        results.append((name, time.time() - t0, None))
        print(f"http-check [{args.label}] {name}: ok ({time.time() - t0:.2f}s)", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported, and the run goes on
        results.append((name, time.time() - t0, f"{type(e).__name__}: {e}"))
        print(f"http-check [{args.label}] {name}: FAILED: {type(e).__name__}: {e}", flush=True)

failed = sum(1 for r in results if r[2])
if args.junit:
    from xml.sax.saxutils import quoteattr
    os.makedirs(os.path.dirname(args.junit) or ".", exist_ok=True)
    with open(args.junit, "w") as f:
        f.write(f'<testsuite name={quoteattr("http-check." + args.label)} tests="{len(results)}" failures="{failed}" '
                f'errors="0" skipped="0">\n')
        for name, secs, err in results:
            f.write(f'  <testcase classname={quoteattr("scripts.http_check." + args.label)} name={quoteattr(name)} '
                    f'time="{secs:.3f}"')
            f.write(f'><failure message={quoteattr(err)}/></testcase>\n' if err else '/>\n')
        f.write('</testsuite>\n')
print(f"http-check [{args.label}]: {len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed or not results else 0)
