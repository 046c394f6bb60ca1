#!/usr/bin/env python3
"""Checks `./iocp echo --tls` with Python's own ssl module (OpenSSL): a TLS peer that shares no code with iocp.

Usage: tls_check.py HOST PORT CAFILE [JUNIT_XML]
Cases: echo (1 MiB, then close_notify both ways: Python's unwrap() returns only on the server's answer), truncated
(a TCP shutdown without close_notify: the server ends that connection, and serves the next), garbage (bytes that are
not TLS: the handshake fails, the server goes on), parallel (16 connections at once, every byte checked).
"""
import hashlib
import select
import socket
import ssl
import sys
import threading
import time

HOST, PORT, CAFILE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
JUNIT = sys.argv[4] if len(sys.argv) > 4 else None
CTX = ssl.create_default_context(cafile=CAFILE)  # verifies the certificate and the name "localhost"


def connect():
    raw = socket.create_connection((HOST, PORT), timeout=30)
    return raw, CTX.wrap_socket(raw, server_hostname="localhost")


def echo_through(s, total, seed):
    """Sends `total` patterned bytes while reading the echo (one thread, non-blocking: an SSL socket must not be
    read and written from two threads at once); checks the digest."""
    block = hashlib.sha256(seed).digest() * 2048  # 64 KiB
    sent = hashlib.sha256()
    got = hashlib.sha256()
    received = 0
    offset = 0
    s.setblocking(False)
    deadline = time.time() + 60
    while received < total:
        assert time.time() < deadline, f"echoed {received} of {total} bytes within 60 s"
        want_write = offset < total
        r, w, _ = select.select([s], [s] if want_write else [], [], 1.0)
        if w and offset < total:
            piece = block[:min(total - offset, len(block))]
            try:
                n = s.send(piece)
                sent.update(piece[:n])
                offset += n
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                pass
        if r or s.pending():
            try:
                while True:
                    d = s.recv(65536)
                    if not d:
                        raise AssertionError(f"EOF after {received} of {total} echoed bytes")
                    got.update(d)
                    received += len(d)
                    if not s.pending():
                        break
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
    s.setblocking(True)
    s.settimeout(30)
    assert received == total, f"echoed {received} of {total} bytes"
    assert got.digest() == sent.digest(), "echoed bytes differ"


def case_echo():
    raw, s = connect()
    echo_through(s, 1 << 20, b"echo")
    version = s.version()
    s.unwrap()  # our close_notify; returns once the server's comes back
    raw.close()
    print(f"  echo: 1 MiB through {version}, close_notify answered")


def case_truncated():
    raw, s = connect()
    echo_through(s, 4096, b"trunc")
    socket.socket.shutdown(s, socket.SHUT_WR)  # the TCP socket's own shutdown: FIN without close_notify
    s.settimeout(30)
    try:
        while socket.socket.recv(s, 65536):
            pass
        ending = "FIN"
    except ConnectionResetError:
        ending = "RST"
    s.close()
    print(f"  truncated: the server ended the connection ({ending}) after a FIN without close_notify")
    case_small("after truncated")


def case_garbage():
    raw = socket.create_connection((HOST, PORT), timeout=30)
    raw.sendall(b"GET / HTTP/1.0\r\n\r\n")  # not a TLS record
    try:
        while raw.recv(65536):
            pass
    except ConnectionResetError:
        pass
    raw.close()
    print("  garbage: the server refused it")
    case_small("after garbage")


def case_small(label):
    raw, s = connect()
    echo_through(s, 100, label.encode())
    s.unwrap()
    raw.close()


def case_parallel():
    errors = []

    def one(i):
        try:
            raw, s = connect()
            echo_through(s, 256 * 1024, b"p%d" % i)
            s.unwrap()
            raw.close()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    print("  parallel: 16 connections x 256 KiB")


results = []
for name, case in [("echo", case_echo), ("truncated", case_truncated), ("garbage", case_garbage),
                   ("parallel", case_parallel)]:
    t0 = time.time()
    try:
        case()
        results.append((name, time.time() - t0, None))
        print(f"tls-check {name}: ok ({time.time() - t0:.2f}s)")
    except Exception as e:  # noqa: BLE001
        results.append((name, time.time() - t0, repr(e)))
        print(f"tls-check {name}: FAILED: {e!r}")
failed = sum(1 for r in results if r[2])
if JUNIT:
    import os
    from xml.sax.saxutils import quoteattr
    os.makedirs(os.path.dirname(JUNIT), exist_ok=True)
    with open(JUNIT, "w") as f:
        f.write(f'<testsuite name="tls-check" tests="{len(results)}" failures="{failed}" errors="0" skipped="0">\n')
        for name, secs, err in results:
            f.write(f'  <testcase classname="scripts.tls_check" name={quoteattr(name)} time="{secs:.3f}"')
            f.write(f'><failure message={quoteattr(err)}/></testcase>\n' if err else '/>\n')
        f.write('</testsuite>\n')
print(f"tls-check: {len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed or len(results) < 4 else 0)
