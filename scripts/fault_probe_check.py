#!/usr/bin/env python3
"""Faults inside the server's handlers and memory, checked from outside the process.

Usage: scripts/fault_probe_check.py [--case NAME ...] [--cp CLASSPATH] [--java CMD] [--junit PATH]
  --cp    the CLI jar and the CLI's tests jar (default: iocp-cli/target/iocp-cli.jar and the -tests.jar beside it)
  --java  the JVM command (default java); scripts/fault-probe-check.sh passes Wine's for the Win32 backend

The server is the CLI's echo with a test-only protocol (dev.iocp.cli.FaultProbeServer, in the CLI's tests jar: no
production flag) that recurses until the stack overflows on a message starting RECURSE, blocks its loop for good on
BLOCK, and prints 'lost: <cause>' when a connection ends. Natively (the io_uring backend). Cases:
  recursion-native   a connection sends RECURSE: it ends (RST or EOF) with 'lost: java.lang.StackOverflowError';
                     another connection opened before goes on echoing; a fresh client is served; no thread died.
  recursion-netty    the same on iocp-netty (Netty's pipeline; the Netty channel is closed on exceptionCaught).
  recursion-control  the negative control: BLOCK instead of RECURSE — the loop serves nothing any more, and the same
                     check must fail (this case passes only if it does).
  direct-memory      -XX:MaxDirectMemorySize=5m (the io_uring ring's provided buffers take 4 MiB of it; --direct-memory): 40 clients
                     each send 128 KiB in 1000-byte messages without reading, then read. At least one connection
                     ends with 'lost: java.lang.OutOfMemoryError' (its write could not get memory) and sees a reset;
                     every other gets its 128 KiB back intact; then a fresh client is served; no thread died.
  direct-memory-control  the same without the limit: no connection may run out — the check's 'at least one
                     OutOfMemoryError' must fail (this case passes only if it does).
Prints one line per case; JUnit XML with --junit; exit 1 if a case failed. Wall time ~40 s.
"""
import argparse
import glob
import hashlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = ["recursion-native", "recursion-netty", "recursion-control", "direct-memory", "direct-memory-control"]


class Failure(AssertionError):
    pass


JAVA = ["java"]  # --java: the JVM command (under Wine: wine, the Windows java.exe and its default options)


class Probe:
    def __init__(self, cp, api="native", jvm_opts=()):
        self.err = tempfile.NamedTemporaryFile(prefix="fault-probe-", suffix=".err", delete=False)
        self.proc = subprocess.Popen([*JAVA, *jvm_opts, "-cp", cp, "dev.iocp.cli.FaultProbeServer", "--api", api],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True, start_new_session=True)
        line = ""
        while "listening on" not in line:  # under Wine the JVM may print warnings first
            line = self.proc.stdout.readline()
            if not line:
                break
        m = re.search(r"listening on [0-9.]+:([0-9]+)", line)
        if not m:
            self.close()
            raise Failure(f"no 'listening on' line: {line!r}; {self.stderr()[-800:]}")
        self.port = int(m.group(1))

    def stderr(self):
        with open(self.err.name, errors="replace") as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        keep = os.environ.get("FAULT_PROBE_KEEP_STDERR")  # a directory: keep each probe's stderr there
        if keep:
            os.makedirs(keep, exist_ok=True)
            os.replace(self.err.name, os.path.join(keep, os.path.basename(self.err.name)))
        else:
            os.unlink(self.err.name)


def echo(port, payload, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        echo_on(s, payload)


def echo_on(s, payload):
    s.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = s.recv(65536)
        if not chunk:
            raise Failure("EOF before the echo")
        got += chunk
    if got != payload:
        raise Failure("the echo differs")


def no_thread_died(probe):
    text = probe.stderr()
    if "Exception in thread" in text:
        raise Failure("a thread died: " + text[text.index("Exception in thread"):][:600])


def recursion(cp, api, trigger):
    probe = Probe(cp, api)
    try:
        bystander = socket.create_connection(("127.0.0.1", probe.port), timeout=5)
        bystander.settimeout(5)
        echo_on(bystander, b"before")
        with socket.create_connection(("127.0.0.1", probe.port), timeout=5) as victim:
            victim.settimeout(5)
            victim.sendall(trigger)
            try:
                ended = victim.recv(16) == b""
            except ConnectionResetError:
                ended = True
            except socket.timeout:
                ended = False
        if not ended:
            raise Failure("the connection whose handler overflowed did not end")
        echo_on(bystander, b"after: the loop goes on")
        echo(probe.port, b"a fresh client")
        deadline = time.monotonic() + 5
        while "lost: java.lang.StackOverflowError" not in probe.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        if "lost: java.lang.StackOverflowError" not in probe.stderr():
            raise Failure("no 'lost: java.lang.StackOverflowError' line")
        no_thread_died(probe)
        bystander.close()
        return {}
    finally:
        probe.close()


def direct_memory(cp, limit):
    opts = [f"-XX:MaxDirectMemorySize={limit}"] if limit else []
    probe = Probe(cp, "native", opts)
    size = 128 * 1024
    results = {}

    def flooder(i):
        data = hashlib.sha256(str(i).encode()).digest() * (size // 32)
        try:
            with socket.create_connection(("127.0.0.1", probe.port), timeout=30) as s:
                s.settimeout(30)  # generous: under Wine on a loaded machine an echo can stall for seconds
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for off in range(0, size, 1000):  # small messages: each is copied into the write queue
                    s.sendall(data[off:off + 1000])
                    time.sleep(0.0005)
                got = bytearray()
                while len(got) < size:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                results[i] = "echoed" if bytes(got) == data else f"ended after {len(got)} bytes"
        except ConnectionResetError:
            results[i] = "reset"
        except Exception as e:  # noqa: BLE001
            results[i] = repr(e)
    try:
        threads = [threading.Thread(target=flooder, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        kinds = {}
        for r in results.values():
            kinds[r] = kinds.get(r, 0) + 1
        ooms = len(re.findall(r"lost: java.lang.OutOfMemoryError", probe.stderr()))
        detail = {"flooders": kinds, "lost_with_OutOfMemoryError": ooms}
        if any(t.is_alive() for t in threads):
            raise Failure(f"a flooder hung: {detail}")
        if ooms < 1:
            raise Failure(f"no connection ran out of direct memory: {detail}")
        bad = {k: v for k, v in kinds.items() if k not in ("echoed", "reset") and not k.startswith("ended after")}
        if bad:
            raise Failure(f"flooders neither echoed nor ended: {detail}")
        if kinds.get("echoed", 0) < 1:
            raise Failure(f"no connection went on: {detail}")
        echo(probe.port, b"a fresh client after the pressure")
        no_thread_died(probe)
        return detail
    finally:
        probe.close()


def expect_failure(run):
    try:
        detail = run()
    except Failure as e:
        return {"the check failed, as it must": str(e)[:160]}
    raise Failure(f"the negative control passed the check: {detail}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--case", action="append", choices=CASES)
    p.add_argument("--cp")
    p.add_argument("--junit")
    p.add_argument("--java", help="the JVM command, shell words (default: java)")
    p.add_argument("--direct-memory", default="5m",
                   help="-XX:MaxDirectMemorySize of the direct-memory case (native io_uring needs > 4 MiB for its"
                        " provided-buffer ring)")
    a = p.parse_args()
    if a.java:
        JAVA[:] = shlex.split(a.java)
    cp = a.cp
    if not cp:
        tests = glob.glob(os.path.join(ROOT, "iocp-cli", "target", "iocp-cli-*-tests.jar"))
        if not tests:
            print("fault-probe-check: no iocp-cli tests jar: build with mvn -pl iocp-cli -am -DskipTests package")
            sys.exit(1)
        cp = os.path.join(ROOT, "iocp-cli", "target", "iocp-cli.jar") + os.pathsep + tests[0]
    runs = {
        "recursion-native": lambda: recursion(cp, "native", b"RECURSE"),
        "recursion-netty": lambda: recursion(cp, "netty", b"RECURSE"),
        "recursion-control": lambda: expect_failure(lambda: recursion(cp, "native", b"BLOCK")),
        "direct-memory": lambda: direct_memory(cp, a.direct_memory),
        "direct-memory-control": lambda: expect_failure(lambda: direct_memory(cp, None)),
    }
    results = []
    for name in a.case or CASES:
        t0 = time.time()
        try:
            detail = runs[name]()
            results.append((name, time.time() - t0, None))
            print(f"fault-probe-check {name}: ok ({time.time() - t0:.1f}s) {detail}", flush=True)
        except Exception as e:  # noqa: BLE001
            results.append((name, time.time() - t0, repr(e)))
            print(f"fault-probe-check {name}: FAILED: {e!r}", flush=True)
    failed = sum(1 for r in results if r[2])
    if a.junit:
        from xml.sax.saxutils import quoteattr
        os.makedirs(os.path.dirname(os.path.abspath(a.junit)), exist_ok=True)
        with open(a.junit, "w") as f:
            f.write(f'<testsuite name="fault-probe-check" tests="{len(results)}" failures="{failed}" errors="0"'
                    f' skipped="0">\n')
            for name, secs, err in results:
                f.write(f'  <testcase classname="scripts.fault_probe_check" name={quoteattr(name)}'
                        f' time="{secs:.3f}"')
                f.write(f'><failure message={quoteattr(err)}/></testcase>\n' if err else '/>\n')
            f.write('</testsuite>\n')
    print(f"fault-probe-check: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
