#!/usr/bin/env python3
# The client of scripts/wineserver-requests.sh: a strict 16 B ping-pong against an echo server whose wineserver traces
# its requests (WINEDEBUG=+server) into LOG; prints the requests per message during the measured messages, the most
# frequent ones, and the background rate of an idle second (to compare against).
# Usage: wineserver_requests.py HOST PORT MESSAGES LOG
import socket, sys, time, re, collections
host, port, n, log = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
REQ = re.compile(rb'^[0-9a-f]{4}: ([a-z_0-9]+)\(')
def requests():
    out = []
    with open(log, 'rb') as f:
        for line in f:
            m = REQ.match(line)
            if m and b') = ' not in line:
                out.append(m.group(1).decode())
    return out
s = socket.create_connection((host, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
msg = b'x' * 16
def pp(k):
    for _ in range(k):
        s.sendall(msg)
        got = b''
        while len(got) < 16:
            got += s.recv(16 - len(got))
pp(300)  # warm-up: the JIT, the pools
time.sleep(1.0)
a = len(requests())
time.sleep(1.0)
idle = len(requests()) - a          # background requests in 1 s with nothing to do
b = len(requests())
t0 = time.time()
pp(n)
el = time.time() - t0
time.sleep(0.5)
r = requests()
window = r[b:]
hist = collections.Counter(window).most_common(8)
print(f"messages={n} requests={len(window)} per_message={len(window)/n:.2f} idle_requests_per_s={idle} elapsed={el:.2f}s")
print("  top: " + ", ".join(f"{k}={v/n:.2f}" for k, v in hist))
s.close()
