#!/usr/bin/env python3
"""Runs one of the examples/ servers and checks it from outside, with Python's own sockets and http.client.

usage: example_check.py echo|http --name NAME --junit PATH [--backend NAME] [--start-timeout S] -- COMMAND...

COMMAND starts the server. It must print `listening on HOST:PORT` first, serve until its standard input ends,
then exit 0 (see examples/*/src). Each case below is one JUnit test case in PATH (suite NAME); the run stops at
the first failed case, the server is always stopped, and the exit code is 1 unless every case passed.

echo cases:
  listening  - the `listening on` line came, naming --backend if given
  exchange   - 4 connections at once each send 1 MiB (every byte a function of connection and position) and read
               it back; every byte is compared
  half-close - after the exchange each client shuts down its sending side: the server flushes and closes (EOF)
  stop       - closing stdin stops the server: it exits 0 and reports having accepted exactly our connections
http cases:
  listening, stop (as above, `stopped`)
  get        - GET /hello: 200, text/plain, the greeting byte for byte, Content-Length matching
  keep-alive - three requests on one connection (GET, POST, GET) all answered on it
  post-echo  - POST /echo with 256 KiB of random bytes: the body comes back identical
  not-found  - GET /missing: 404
"""
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from xml.sax.saxutils import quoteattr

GREETING = b"hello from iocp-netty\n"


class Server:
    """The example's process: its output is collected by a thread so a full pipe never blocks it."""

    def __init__(self, command):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            print(f"    | {line}", flush=True)
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # end of output
            self.cond.notify_all()

    def wait_line(self, pattern, timeout):
        """The first output line matching pattern (a regex match object), waiting up to timeout seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if line is None:
                        raise AssertionError(f"the server's output ended without a line matching {pattern!r}")
                    m = re.search(pattern, line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r} within {timeout} s")
                self.cond.wait(left)

    def stop(self, timeout):
        """Closes the server's stdin (its stop signal); returns its exit code, or None if it did not exit in time."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


def recv_exactly(s, n):
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(min(1 << 20, n - len(out)))
        if not chunk:
            raise AssertionError(f"EOF after {len(out)} of {n} bytes")
        out += chunk
    return bytes(out)


def pattern(conn, size):
    # Every byte depends on its position and its connection: a byte lost, repeated, reordered or crossed over
    # from another connection shows as a difference.
    return bytes(((i * 7) + (i >> 9) + conn * 31) & 0xFF for i in range(size))


# ---- echo -------------------------------------------------------------------------------------------------------

ECHO_CONNECTIONS = 4
ECHO_BYTES = 1 << 20


def echo_cases(host, port, state):
    def exchange():
        errors = []
        socks = [socket.create_connection((host, port), timeout=60) for _ in range(ECHO_CONNECTIONS)]
        state["connections"] = len(socks)
        state["socks"] = socks

        def one(i, s):
            try:
                data = pattern(i, ECHO_BYTES)
                sender = threading.Thread(target=s.sendall, args=(data,), daemon=True)
                sender.start()  # send and receive at once: the server's flow control must not deadlock us
                got = recv_exactly(s, len(data))
                sender.join(60)
                if got != data:
                    first = next(k for k in range(len(data)) if got[k] != data[k])
                    errors.append(f"connection {i}: first differing byte at offset {first}")
            except Exception as e:  # noqa: BLE001
                errors.append(f"connection {i}: {e!r}")

        threads = [threading.Thread(target=one, args=(i, s)) for i, s in enumerate(socks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, "; ".join(errors)
        print(f"  exchange: {ECHO_CONNECTIONS} x {ECHO_BYTES} bytes echoed identically")

    def half_close():
        for i, s in enumerate(state["socks"]):
            s.shutdown(socket.SHUT_WR)
            rest = s.recv(1)
            assert rest == b"", f"connection {i}: expected EOF after our FIN, got {rest!r}"
            s.close()

    return [("exchange", exchange), ("half-close", half_close)]


# ---- http -------------------------------------------------------------------------------------------------------

def http_cases(host, port, state):
    state["connections"] = None  # Netty's example does not count them

    def get():
        c = http.client.HTTPConnection(host, port, timeout=60)
        c.request("GET", "/hello")
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, f"status {r.status}"
        assert r.getheader("Content-Type") == "text/plain", r.getheader("Content-Type")
        assert r.getheader("Content-Length") == str(len(GREETING)), r.getheader("Content-Length")
        assert body == GREETING, f"body {body!r}"
        c.close()

    def keep_alive():
        c = http.client.HTTPConnection(host, port, timeout=60)
        c.connect()
        local = c.sock.getsockname()
        for method, path, body in [("GET", "/hello", None), ("POST", "/echo", b"ping"), ("GET", "/hello", None)]:
            c.request(method, path, body=body)
            r = c.getresponse()
            got = r.read()
            assert r.status == 200, f"{method} {path}: status {r.status}"
            assert got == (body or GREETING), f"{method} {path}: body {got!r}"
            assert not r.will_close, f"{method} {path}: the server asked to close a keep-alive connection"
            assert c.sock is not None and c.sock.getsockname() == local, "the connection was not kept"
        c.close()

    def post_echo():
        data = random.Random(15).randbytes(256 * 1024)
        c = http.client.HTTPConnection(host, port, timeout=60)
        c.request("POST", "/echo", body=data, headers={"Content-Type": "application/octet-stream"})
        r = c.getresponse()
        got = r.read()
        assert r.status == 200, f"status {r.status}"
        assert len(got) == len(data), f"{len(got)} of {len(data)} bytes came back"
        assert got == data, "the echoed body differs"
        c.close()

    def not_found():
        c = http.client.HTTPConnection(host, port, timeout=60)
        c.request("GET", "/missing")
        r = c.getresponse()
        r.read()
        assert r.status == 404, f"status {r.status}"
        c.close()

    return [("get", get), ("keep-alive", keep_alive), ("post-echo", post_echo), ("not-found", not_found)]


# ---- driver -----------------------------------------------------------------------------------------------------

def main(argv):
    if "--" not in argv:
        sys.exit(__doc__)
    opts, command = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    kind = opts[0]
    args = dict(zip(opts[1::2], opts[2::2]))
    name, junit = args["--name"], args["--junit"]
    backend = args.get("--backend")
    start_timeout = float(args.get("--start-timeout", "60"))

    results = []
    server = Server(command)
    state = {}

    def run(case_name, fn):
        t0 = time.monotonic()
        try:
            fn()
            results.append((case_name, time.monotonic() - t0, None))
            print(f"{name} {case_name}: ok ({time.monotonic() - t0:.2f}s)", flush=True)
            return True
        except Exception as e:  # noqa: BLE001
            results.append((case_name, time.monotonic() - t0, repr(e)))
            print(f"{name} {case_name}: FAILED: {e!r}", flush=True)
            return False

    address = {}

    def listening():
        m = server.wait_line(r"listening on ([0-9.]+):([0-9]+)(?: \(backend ([a-z0-9_]+)\))?", start_timeout)
        address["host"], address["port"] = m.group(1), int(m.group(2))
        if backend:
            assert m.group(3) == backend, f"backend {m.group(3)!r}, expected {backend!r}"

    def stop():
        rc = server.stop(60)
        assert rc is not None, "still running 60 s after its stdin was closed"
        assert rc == 0, f"exit code {rc}"
        if kind == "echo":
            m = server.wait_line(r"stopped after ([0-9]+) connections", 5)
            assert int(m.group(1)) == state["connections"], \
                f"the server accepted {m.group(1)} connections, we made {state['connections']}"
        else:
            server.wait_line(r"^stopped$", 5)

    expected = 2 + (2 if kind == "echo" else 4)
    try:
        if run("listening", listening):
            cases = (echo_cases if kind == "echo" else http_cases)(address["host"], address["port"], state)
            if all(run(n, f) for n, f in cases):
                run("stop", stop)
    finally:
        server.kill()

    failed = sum(1 for r in results if r[2])
    os.makedirs(os.path.dirname(os.path.abspath(junit)), exist_ok=True)
    with open(junit, "w") as f:
        f.write(f'<testsuite name={quoteattr(name)} tests="{len(results)}" failures="{failed}" errors="0" '
                f'skipped="0">\n')
        for case_name, secs, err in results:
            f.write(f'  <testcase classname={quoteattr("examples." + name)} name={quoteattr(case_name)} '
                    f'time="{secs:.3f}"')
            f.write(f'><failure message={quoteattr(err)}/></testcase>\n' if err else '/>\n')
        f.write('</testsuite>\n')
    print(f"{name}: {len(results) - failed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and len(results) == expected else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
