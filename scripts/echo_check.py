#!/usr/bin/env python3
"""Checks `iocp echo` with a client that shares no code with iocp: Python's own sockets.

Usage: scripts/echo_check.py HOST PORT [JUNIT_XML_PATH]
Cases (each prints one line; exit 1 on the first failure):
  echo       - bytes come back identical, in order
  half-close - we shutdown(SHUT_WR) after sending: everything is echoed, then the server closes (EOF)
  reset      - we reset (SO_LINGER 0) mid-stream: the server survives and keeps serving others
  flood      - we send 32 MiB without reading: the server stops reading (flow control) instead of buffering it all;
               then we read everything back intact
"""
import hashlib
import socket
import struct
import sys
import threading
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
JUNIT = sys.argv[3] if len(sys.argv) > 3 else None


def connect():
    s = socket.create_connection((HOST, PORT), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exactly(s, n):
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(min(1 << 20, n - len(out)))
        if not chunk:
            raise AssertionError(f"EOF after {len(out)} of {n} bytes")
        out += chunk
    return bytes(out)


def case_echo():
    with connect() as s:
        msg = bytes(range(256)) * 400
        s.sendall(msg)
        assert recv_exactly(s, len(msg)) == msg, "echo differs"


def case_half_close():
    with connect() as s:
        msg = b"half-close " * 1000
        s.sendall(msg)
        s.shutdown(socket.SHUT_WR)
        got = recv_exactly(s, len(msg))
        assert got == msg, "echo differs"
        rest = s.recv(1)
        assert rest == b"", f"expected EOF after the echo, got {rest!r}"


def case_reset():
    s = connect()
    s.sendall(b"x" * 100000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # RST
    case_echo()  # the server is still fine


def case_flood():
    total = 32 * 1024 * 1024
    block = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB
    with connect() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sent = [0]
        err = []

        def writer():
            try:
                while sent[0] < total:
                    s.sendall(block)
                    sent[0] += len(block)
            except Exception as e:  # noqa: BLE001
                err.append(e)

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        # Not reading: the server's flow control must stop it reading us, so our sends must stall well short of 32 MiB.
        time.sleep(3)
        stalled_at = sent[0]
        assert stalled_at < total, f"server buffered all {total} bytes of a peer that never read"
        digest_in = hashlib.sha256()
        got = 0
        while got < total:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise AssertionError(f"EOF after {got} bytes")
            digest_in.update(chunk)
            got += len(chunk)
        t.join(60)
        assert not err, err
        expect = hashlib.sha256()
        for _ in range(total // len(block)):
            expect.update(block)
        assert digest_in.digest() == expect.digest(), "flooded bytes came back altered"
        print(f"  flood: sender stalled at {stalled_at} of {total} bytes while not reading")


results = []
for name, case in [("echo", case_echo), ("half-close", case_half_close), ("reset", case_reset),
                   ("flood", case_flood)]:
    t0 = time.time()
    try:
        case()
        results.append((name, time.time() - t0, None))
        print(f"echo-check {name}: ok ({time.time() - t0:.2f}s)")
    except Exception as e:  # noqa: BLE001
        results.append((name, time.time() - t0, repr(e)))
        print(f"echo-check {name}: FAILED: {e!r}")
        break
failed = sum(1 for r in results if r[2])
if JUNIT:
    import os
    from xml.sax.saxutils import quoteattr
    os.makedirs(os.path.dirname(JUNIT), exist_ok=True)
    with open(JUNIT, "w") as f:
        f.write(f'<testsuite name="echo-check" tests="{len(results)}" failures="{failed}" errors="0" skipped="0">\n')
        for name, secs, err in results:
            f.write(f'  <testcase classname="scripts.echo_check" name={quoteattr(name)} time="{secs:.3f}"')
            f.write(f'><failure message={quoteattr(err)}/></testcase>\n' if err else '/>\n')
        f.write('</testsuite>\n')
print(f"echo-check: {len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed or len(results) < 4 else 0)
