#!/usr/bin/env python3
"""Runs a CLI server as an operator would, cold, under `prlimit --nofile`, and checks from outside the process that
it survives running out of descriptors.

Usage: scripts/exhaustion_check.py [--case NAME ...] [--launcher CMD] [--nofile N] [--clients C] [--junit PATH]
  --case       echo | race-server | http-native | http-netty (default: all four)
  --launcher   how to start the CLI, a shell word list (default: "<root>/iocp" with IOCP_NATIVE=1, the operator's
               command); the CLI's arguments follow it. E.g. "java -jar /tmp/old-iocp-cli.jar" for a negative control
               (with --wine: another tree's ./iocp).
  --nofile     the soft and hard descriptor limit of the server (default 256)
  --clients    connections opened and held (default 400: past the limit)
  --wine       ./iocp on the Win32 backend under Wine, a fresh wineserver per case started under the same limit;
               under Wine 10 the process holds its sockets itself, and the leak check counts its socket
               descriptors (Wine 8 kept them in the wineserver, which is looked for below); CPU over both.
               Wine needs --nofile 600 --clients 700: the wineserver alone holds ~354 descriptors idle, and under
               256 the Windows JVM crashes at start.

Each case:
  1. starts `prlimit --nofile=N:N <launcher> <command> --port 0 --loops 1` and waits for 'listening on H:P';
  2. serves one request (warm-up) and takes the descriptor count of the process (/proc/PID/fd) as its baseline;
  3. opens --clients connections and holds them until the process holds N - 8 descriptors or says accepts fail;
  4. measures the CPU the process uses while exhausted (/proc/PID/stat utime+stime over 3 s): at most 20 % of a
     core (a back-off that spins would use 100 %);
  5. closes every client; then a fresh client must be served within 10 s;
  6. the descriptor count (under Wine: the socket count) must come back to at most baseline + 2 within 10 s (the
     held connections all closed);
  7. stderr must hold an accept-failure line and no 'Exception in thread' (no thread died).
Prints one line per case; writes a JUnit XML report if --junit is given; exit 1 if a case failed.
"""
import argparse
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

WINE = {}  # {"prefix": WINEPREFIX} when the cases run under Wine
KEEP_STDERR = os.environ.get("EXHAUSTION_KEEP_STDERR")  # a directory: keep each case's stderr there
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CASES = {
    # name: (CLI arguments, how a fresh client is served)
    "echo": (["echo", "--host", "127.0.0.1", "--port", "0", "--loops", "1"], "echo"),
    "race-server": (["race", "server", "--host", "127.0.0.1", "--port", "0"], "echo"),
    "http-native": (["http", "--host", "127.0.0.1", "--port", "0", "--loops", "1", "--api", "native"], "http"),
    "http-netty": (["http", "--host", "127.0.0.1", "--port", "0", "--loops", "1", "--api", "netty"], "http"),
}


class Failure(AssertionError):
    pass


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return -1


def socket_count(pid):
    """The process's socket descriptors only, or -1."""
    try:
        n = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
            except OSError:
                pass
        return n
    except (FileNotFoundError, ProcessLookupError):
        return -1


def wineserver_pid(prefix):
    """The wineserver serving WINEPREFIX=prefix, or None."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            # Wine 8's wineserver. Wine 10's (wineserver64, in its own root file system) is not matched, so under
            # Wine 10 the process itself is counted, which is where Wine 10 keeps the sockets (measured).
            if not os.readlink(f"/proc/{d}/exe").endswith("/usr/lib/wine/wineserver"):
                continue
            with open(f"/proc/{d}/environ", "rb") as f:
                if f"WINEPREFIX={prefix}".encode() in f.read().split(b"\0"):
                    return int(d)
        except OSError:
            continue
    return None


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def served(host, port, how, timeout):
    """One request on a fresh connection; True if answered correctly."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            if how == "echo":
                msg = b"still serving?"
                s.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    chunk = s.recv(64)
                    if not chunk:
                        return False
                    got += chunk
                return got == msg
            s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            got = b""
            while b"\r\n" not in got:
                chunk = s.recv(1024)
                if not chunk:
                    break
                got += chunk
            return got.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def wait_for(what, deadline_s, condition, interval=0.05):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise Failure(f"{what}: not within {deadline_s} s")


def run_case(name, launcher, nofile, clients, env):
    args, how = CASES[name]
    if WINE:
        # The wineserver holds the processes' sockets too: end the prefix's server so that this case's process
        # starts one under the same descriptor limit.
        subprocess.run(["wineserver", "-k"], env=dict(env, WINEPREFIX=WINE["prefix"]), capture_output=True)
    err_file = tempfile.NamedTemporaryFile(prefix=f"exhaustion-{name}-", suffix=".err", delete=False)
    cmd = ["prlimit", f"--nofile={nofile}:{nofile}", "--"] + launcher + args
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, env=env, text=True,
                            start_new_session=True)
    held = []
    detail = {}
    lines = []
    reader = threading.Thread(target=lambda: [lines.append(l) for l in proc.stdout], daemon=True)
    reader.start()

    def stderr_text():
        with open(err_file.name, errors="replace") as f:
            return f.read()

    try:
        def listening():
            if proc.poll() is not None:
                raise Failure(f"exited early ({proc.returncode}): {stderr_text()[-2000:]}")
            return next((re.search(r"listening on ([0-9.]+):([0-9]+)", l) for l in lines if "listening on" in l),
                        None)
        m = wait_for("a 'listening on' line", 60, listening)
        host, port = m.group(1), int(m.group(2))
        pid = proc.pid
        if WINE:
            # Under Wine 8 each socket's descriptor lived in the wineserver: count there when one is found.
            pid = wineserver_pid(WINE["prefix"]) or pid
        if not served(host, port, how, 5):
            raise Failure("the warm-up request was not served")
        time.sleep(0.2)
        baseline = fd_count(pid)
        detail["baseline_fds"] = baseline
        # The leak check: under Wine 10 the process holds its sockets, beside pipes and files that Wine opens for
        # threads started later (measured: +4 pipes in `race server` after the clients closed, no socket left), so
        # there it counts sockets only; natively every descriptor.
        leak_count = socket_count if WINE else fd_count
        baseline_held = leak_count(pid)

        # Hold connections past the limit: non-blocking connects, so the ones the backlog cannot take don't block us.
        for _ in range(clients):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect_ex((host, port))
            except OSError:
                pass
            held.append(s)

        def exhausted():
            n = fd_count(pid)
            return n >= nofile - 8 or re.search(r"accept fail|Too many open files|E[MN]FILE", stderr_text())
        wait_for("the process running out of descriptors", 20, exhausted)
        time.sleep(1.0)  # let the accept failures and the back-off run
        detail["fds_exhausted"] = fd_count(pid)
        busy = {proc.pid, pid}  # under Wine: the process and its wineserver
        c0, t0 = sum(cpu_seconds(p) for p in busy), time.monotonic()
        time.sleep(3.0)
        cpu = (sum(cpu_seconds(p) for p in busy) - c0) / (time.monotonic() - t0)
        detail["cpu_exhausted"] = round(cpu, 3)

        for s in held:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
        held.clear()
        released = time.monotonic()
        try:
            wait_for("a fresh client served after the release", 10, lambda: served(host, port, how, 1), 0.2)
        except Failure as e:
            raise Failure(f"{e}; {detail}; stderr: {stderr_text()[-1200:]}") from None
        detail["served_after_s"] = round(time.monotonic() - released, 2)
        try:
            wait_for(f"{'sockets' if WINE else 'descriptors'} back to the baseline {baseline_held} (+2)", 10,
                     lambda: 0 <= leak_count(pid) <= baseline_held + 2, 0.2)
        except Failure as e:
            kinds = {}
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    k = re.sub(r"[0-9]+", "N", os.readlink(f"/proc/{pid}/fd/{fd}"))
                except OSError:
                    continue
                kinds[k] = kinds.get(k, 0) + 1
            raise Failure(f"{e}; now {fd_count(pid)}: {kinds}") from None
        detail["fds_after"] = fd_count(pid)
        if proc.poll() is not None:
            raise Failure(f"the server exited ({proc.returncode})")
        if cpu > 0.20:
            raise Failure(f"CPU while exhausted: {cpu:.0%} of a core (a spinning back-off?)")
        text = stderr_text()
        if "Exception in thread" in text:
            raise Failure("a thread died: " + text[text.index("Exception in thread"):][:600])
        accept_failure = re.compile(r"accept fail|accept on \S+ (WSA)?E[MN]FILE")
        if not accept_failure.search(text):
            raise Failure("no accept-failure line on stderr")
        detail["accept_failure_lines"] = [l.strip()[:160] for l in text.splitlines() if accept_failure.search(l)][:2]
        detail["lost_log_lines"] = text.count("a log line could not be written")
        if detail["lost_log_lines"]:
            raise Failure(f"{detail['lost_log_lines']} log line(s) could not be written")
        return detail
    finally:
        for s in held:
            s.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if WINE:
            subprocess.run(["wineserver", "-k"], env=dict(env, WINEPREFIX=WINE["prefix"]), capture_output=True)
        detail.setdefault("stderr_lines", stderr_text().count("\n"))
        if KEEP_STDERR:
            os.makedirs(KEEP_STDERR, exist_ok=True)
            os.replace(err_file.name, os.path.join(KEEP_STDERR, f"{name}.err"))
        else:
            os.unlink(err_file.name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--case", action="append", choices=list(CASES))
    p.add_argument("--launcher")
    p.add_argument("--nofile", type=int, default=256)
    p.add_argument("--clients", type=int, default=400)
    p.add_argument("--junit")
    p.add_argument("--wine", action="store_true",
                   help="run ./iocp on the Win32 backend under Wine (a fresh wineserver per case, started under the"
                        " same limit)")
    a = p.parse_args()
    env = dict(os.environ)
    if a.wine:
        # --launcher may name another tree's ./iocp (the negative control); WINEPREFIX may name the prefix.
        launcher = shlex.split(a.launcher) if a.launcher else [os.path.join(ROOT, "iocp")]
        env.pop("IOCP_NATIVE", None)
        # The prefix ./iocp will use: scripts/wine-env.sh takes IOCP_WINEPREFIX first, then its own default.
        env["WINEPREFIX"] = (env.get("IOCP_WINEPREFIX") or env.get("WINEPREFIX")
                             or os.path.join(ROOT, ".cache", "wine10-prefix"))
        WINE["prefix"] = env["WINEPREFIX"]
    elif a.launcher:
        launcher = shlex.split(a.launcher)
    elif not a.wine:
        launcher = [os.path.join(ROOT, "iocp")]
        env["IOCP_NATIVE"] = "1"
    results = []
    for name in a.case or list(CASES):
        t0 = time.time()
        try:
            detail = run_case(name, launcher, a.nofile, a.clients, env)
            results.append((name, time.time() - t0, None))
            print(f"exhaustion-check {name}: ok ({time.time() - t0:.1f}s) {detail}", flush=True)
        except Exception as e:  # noqa: BLE001
            results.append((name, time.time() - t0, repr(e)))
            print(f"exhaustion-check {name}: FAILED: {e!r}", flush=True)
    failed = sum(1 for r in results if r[2])
    if a.junit:
        from xml.sax.saxutils import quoteattr
        os.makedirs(os.path.dirname(os.path.abspath(a.junit)), exist_ok=True)
        with open(a.junit, "w") as f:
            f.write(f'<testsuite name="exhaustion-check" tests="{len(results)}" failures="{failed}" errors="0"'
                    f' skipped="0">\n')
            for name, secs, err in results:
                f.write(f'  <testcase classname="scripts.exhaustion_check" name={quoteattr(name)}'
                        f' time="{secs:.3f}"')
                f.write(f'><failure message={quoteattr(err)}/></testcase>\n' if err else '/>\n')
            f.write('</testsuite>\n')
    print(f"exhaustion-check: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
