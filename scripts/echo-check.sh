#!/usr/bin/env bash
# Runs `./iocp echo` (the Win32 backend, on a Windows JVM under Wine) and checks it with scripts/echo_check.py —
# a client in Python's own sockets that shares no code with iocp: echo, half-close, reset mid-stream, and a flood
# without reading (flow control must stop the server reading instead of buffering everything).
# Exit 0 only if all four cases pass. Usage: scripts/echo-check.sh   (IOCP_NATIVE=1 to check the local JVM's backend)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/wine-env.sh
. "$root/scripts/wine-env.sh"  # the project's Wine (its wineserver, its WINEPREFIX) for the clean-up below
log="$(mktemp)"
"$root/iocp" echo --host 127.0.0.1 --port 0 >"$log" 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null
    # Under Wine the Windows JVM is a child of wine's loader: end the prefix's processes too.
    [ "${IOCP_NATIVE:-0}" = 1 ] || wineserver -k 2>/dev/null
    rm -f "$log"
}
trap cleanup EXIT
port=""
for _ in $(seq 1 600); do  # up to 60 s: the first run may build the jar and set Wine up
    port="$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | sed 's/.*://')"
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "echo-check: ./iocp echo exited early:"; cat "$log"; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "echo-check: no 'listening on' line within 60 s:"; cat "$log"; exit 1; }
grep 'listening on' "$log"
python3 "$root/scripts/echo_check.py" 127.0.0.1 "$port" ${IOCP_ECHO_CHECK_JUNIT:+"$IOCP_ECHO_CHECK_JUNIT"}
