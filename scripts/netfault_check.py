#!/usr/bin/env python3
"""Network faults against `iocp echo`, natively, loopback-only inside a network namespace of its own.

Usage (as root): scripts/netfault_check.py [--case NAME ...] [--launcher CMD] [--junit PATH]
  --case      black-hole | black-hole-keepalive | black-hole-control | loss | syn-drop (default: all)
  --launcher  how to start the CLI (default "<root>/iocp" with IOCP_NATIVE=1)

The script creates a namespace (iocp-netfault-PID), brings its loopback up, re-runs itself inside it
(`ip netns exec`), and deletes the namespace on every path (normal end, failure, SIGINT/SIGTERM). Inside, each case
starts its own server and uses nftables rules in a table of its own to make the fault:
  black-hole          8 clients connect and are echoed once; then every segment of their connections is dropped
                      (as if their hosts vanished). The server runs with -Diocp.transport.idleTimeoutMillis=2000:
                      within 15 s its descriptor count (/proc/PID/fd) is back to what it was before they came.
  black-hole-keepalive the same with no idle timeout but TCP keep-alive at 1 s idle, 1 s interval, 2 probes
                      (-Diocp.transport.keepAlive=1,1,2): the kernel's probes find the peers gone and the
                      connections end; descriptors back within 15 s.
  black-hole-control  the same with the defaults (no idle timeout; keep-alive after 60 s): after 6 s the 8
                      connections are still held — the negative control showing the checks above can fail.
  loss                `numgen random mod 100 < 3 drop` on every TCP segment: 4 clients echo 1 MiB each, intact and in
                      order, within 60 s (TCP's retransmission under our transport).
  syn-drop            SYNs to the server's port dropped for 3 s: a connect made meanwhile completes once they pass
                      (the client's SYN retry), is served, and the server stays near idle (CPU < 20 % of a core).
Each prints one line; a JUnit XML report if --junit; exit 1 if a case failed. Wall time ~45 s.
"""
import argparse
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
CASES = ["black-hole", "black-hole-keepalive", "black-hole-control", "loss", "syn-drop"]
TABLE = "iocp_netfault"


class Failure(AssertionError):
    pass


def sh(*cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise Failure(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def nft(rules):
    """Replaces this script's table with one input chain holding `rules` (nft syntax, one per line)."""
    sh("nft", "delete", "table", "inet", TABLE, check=False)
    script = f"table inet {TABLE} {{\n chain input {{ type filter hook input priority 0; policy accept;\n"
    script += "".join(f"  {r}\n" for r in rules) + " }\n}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".nft", delete=False) as f:
        f.write(script)
    try:
        sh("nft", "-f", f.name)
    finally:
        os.unlink(f.name)


def clear_rules():
    sh("nft", "delete", "table", "inet", TABLE, check=False)


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(what, deadline_s, condition, interval=0.1):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(interval)
    raise Failure(f"{what}: not within {deadline_s} s")


class EchoServer:
    def __init__(self, launcher, java_opts=""):
        env = dict(os.environ)
        env["IOCP_NATIVE"] = "1"
        env["IOCP_JAVA_OPTS"] = (env.get("IOCP_JAVA_OPTS", "") + " " + java_opts).strip()
        cmd = launcher + ["echo", "--host", "127.0.0.1", "--port", "0", "--loops", "1"]
        if launcher[0] == "java":  # a bare JVM launcher: the options go on its command line
            cmd = ["java"] + shlex.split(env["IOCP_JAVA_OPTS"]) + launcher[1:] + cmd[len(launcher):]
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.err, env=env, text=True,
                                     start_new_session=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on ([0-9.]+):([0-9]+)", line)
        if not m:
            self.close()
            raise Failure(f"no 'listening on' line: {line!r}")
        self.port = int(m.group(2))
        self.pid = self.proc.pid

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def echo_once(s, payload):
    s.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = s.recv(65536)
        if not chunk:
            raise Failure("EOF before the echo")
        got += chunk
    if got != payload:
        raise Failure("the echo differs")


def case_black_hole(launcher, ending):
    """ending: "idle" (an idle timeout ends them), "keepalive" (the kernel's probes do), None (the defaults)."""
    opts = {"idle": "-Diocp.transport.idleTimeoutMillis=2000",
            "keepalive": "-Diocp.transport.keepAlive=1,1,2"}.get(ending, "")
    srv = EchoServer(launcher, opts)
    clients = []
    try:
        echo_once(socket.create_connection(("127.0.0.1", srv.port), timeout=5), b"warm-up")
        time.sleep(0.3)
        baseline = fd_count(srv.pid)
        for _ in range(8):
            c = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            echo_once(c, b"hello")
            clients.append(c)
        held = fd_count(srv.pid)
        if held < baseline + 8:
            raise Failure(f"8 connections not held: {baseline} -> {held}")
        ports = ", ".join(str(c.getsockname()[1]) for c in clients)
        nft([f"tcp sport {{ {ports} }} drop", f"tcp dport {{ {ports} }} drop"])
        t0 = time.monotonic()
        if ending:
            wait_for(f"descriptors back to {baseline} after the black hole ({ending})", 15,
                     lambda: fd_count(srv.pid) <= baseline)
            return {"baseline": baseline, "held": held, "released_after_s": round(time.monotonic() - t0, 1)}
        time.sleep(6)
        now = fd_count(srv.pid)
        if now < baseline + 8:
            raise Failure(f"with the defaults the connections went anyway ({held} -> {now})")
        return {"baseline": baseline, "held": held, "still_held_after_6s": now}
    finally:
        clear_rules()
        for c in clients:
            c.close()
        srv.close()


def case_loss(launcher):
    srv = EchoServer(launcher)
    try:
        nft(["meta l4proto tcp numgen random mod 100 < 3 drop"])
        errors = []
        size = 1 << 20

        def client(i):
            try:
                data = hashlib.sha256(str(i).encode()).digest() * (size // 32)
                with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as c:
                    c.settimeout(30)
                    t = threading.Thread(target=c.sendall, args=(data,))
                    t.start()
                    got = bytearray()
                    while len(got) < size:
                        chunk = c.recv(1 << 16)
                        if not chunk:
                            raise Failure(f"client {i}: EOF after {len(got)} bytes")
                        got += chunk
                    t.join()
                    if bytes(got) != data:
                        raise Failure(f"client {i}: bytes differ")
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        if any(t.is_alive() for t in threads):
            raise Failure("an echo under 3 % loss took more than 60 s")
        if errors:
            raise Failure("; ".join(errors))
        return {"echoed_MiB": 4, "seconds": round(time.monotonic() - t0, 1)}
    finally:
        clear_rules()
        srv.close()


def case_syn_drop(launcher):
    srv = EchoServer(launcher)
    try:
        nft([f"tcp dport {srv.port} tcp flags & (syn | ack) == syn drop"])
        result = {}
        connected = threading.Event()
        errors = []

        def client():
            try:
                with socket.create_connection(("127.0.0.1", srv.port), timeout=15) as c:
                    connected.set()
                    c.settimeout(10)
                    echo_once(c, b"after the SYNs passed")
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        t = threading.Thread(target=client)
        c0, t0 = cpu_seconds(srv.pid), time.monotonic()
        t.start()
        time.sleep(3)
        if connected.is_set():
            raise Failure("connected while SYNs were dropped: the fault was not in place")
        cpu = (cpu_seconds(srv.pid) - c0) / (time.monotonic() - t0)
        clear_rules()
        t.join(20)
        if errors or not connected.is_set():
            raise Failure(f"not served once SYNs passed: {errors}")
        if cpu > 0.20:
            raise Failure(f"server CPU while SYNs were dropped: {cpu:.0%}")
        result["cpu_while_dropping"] = round(cpu, 3)
        return result
    finally:
        clear_rules()
        srv.close()


def inside(args):
    launcher = shlex.split(args.launcher) if args.launcher else [os.path.join(ROOT, "iocp")]
    results = []
    for name in args.case or CASES:
        t0 = time.time()
        try:
            if name == "black-hole":
                detail = case_black_hole(launcher, "idle")
            elif name == "black-hole-keepalive":
                detail = case_black_hole(launcher, "keepalive")
            elif name == "black-hole-control":
                detail = case_black_hole(launcher, None)
            elif name == "loss":
                detail = case_loss(launcher)
            else:
                detail = case_syn_drop(launcher)
            results.append((name, time.time() - t0, None))
            print(f"netfault-check {name}: ok ({time.time() - t0:.1f}s) {detail}", flush=True)
        except Exception as e:  # noqa: BLE001
            results.append((name, time.time() - t0, repr(e)))
            print(f"netfault-check {name}: FAILED: {e!r}", flush=True)
    failed = sum(1 for r in results if r[2])
    if args.junit:
        from xml.sax.saxutils import quoteattr
        os.makedirs(os.path.dirname(os.path.abspath(args.junit)), exist_ok=True)
        with open(args.junit, "w") as f:
            f.write(f'<testsuite name="netfault-check" tests="{len(results)}" failures="{failed}" errors="0"'
                    f' skipped="0">\n')
            for name, secs, err in results:
                f.write(f'  <testcase classname="scripts.netfault_check" name={quoteattr(name)}'
                        f' time="{secs:.3f}"')
                f.write(f'><failure message={quoteattr(err)}/></testcase>\n' if err else '/>\n')
            f.write('</testsuite>\n')
    print(f"netfault-check: {len(results) - failed} passed, {failed} failed")
    return 1 if failed or not results else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--case", action="append", choices=CASES)
    p.add_argument("--launcher")
    p.add_argument("--junit")
    p.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.inside:
        sys.exit(inside(args))
    if os.geteuid() != 0:
        print("netfault-check: needs root (ip netns, nft)")
        sys.exit(1)
    ns = f"iocp-netfault-{os.getpid()}"

    def cleanup(*_):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *a: (cleanup(), sys.exit(1)))
    try:
        sh("ip", "netns", "add", ns)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        if not args.launcher:
            # Build outside the namespace's time bound (./iocp would rebuild a stale jar on first use).
            subprocess.run([os.path.join(ROOT, "iocp"), "help"], env=dict(os.environ, IOCP_NATIVE="1"),
                           capture_output=True, timeout=600)
        inner = ["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "--inside"]
        for c in args.case or []:
            inner += ["--case", c]
        if args.launcher:
            inner += ["--launcher", args.launcher]
        if args.junit:
            inner += ["--junit", os.path.abspath(args.junit)]
        rc = subprocess.run(inner, timeout=300).returncode
    finally:
        cleanup()
    sys.exit(rc)


if __name__ == "__main__":
    main()
