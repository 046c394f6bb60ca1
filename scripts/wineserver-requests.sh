#!/usr/bin/env bash
# Counts the wineserver requests the Win32 echo server makes per message of a strict ping-pong (16 B, one message in
# flight), in both receive modes, with skip-on-success mode on and off: `./iocp echo` runs on the Windows JVM under
# Wine with WINEDEBUG=+server (the wineserver traces every request it serves), and a Linux Python client (not traced)
# drives it (scripts/wineserver_requests.py). Each cell starts its own wineserver, so the trace holds the echo server's
# requests only; the count covers the measured messages after a warm-up.
#
# Usage: scripts/wineserver-requests.sh [MESSAGES]     (default 2000)
# It stops the wineserver of the repository's WINEPREFIX (.cache/wineprefix) before each cell: run it alone.
# Wine requests are a count, not a timing: they do not depend on the machine's load. They say what Wine does, not
# what Windows does (Windows has no wineserver).
set -euo pipefail
# shellcheck source=scripts/wine-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/wine-env.sh"
cd "$IOCP_ROOT"
messages="${1:-2000}"
iocp_wine_setup >/dev/null
out="$IOCP_CACHE/wineserver-requests"
mkdir -p "$out"
port=18790
for cell in "readiness true" "readiness false" "buffered true" "buffered false"; do
    set -- $cell
    mode=$1 skip=$2 port=$((port + 1))
    wineserver -k 2>/dev/null || true
    log="$out/trace-$mode-$skip.log"
    WINEDEBUG=+server IOCP_JAVA_OPTS="-Diocp.receiveMode=$mode -Diocp.win32.skipCompletionPortOnSuccess=$skip" \
        ./iocp echo --host 127.0.0.1 --port "$port" >"$out/echo-$mode-$skip.txt" 2>"$log" &
    pid=$!
    for _ in $(seq 1 240); do grep -q "listening on" "$out/echo-$mode-$skip.txt" 2>/dev/null && break; sleep 0.5; done
    printf 'receive mode %-9s skip-on-success %-5s ' "$mode" "$skip"
    python3 scripts/wineserver_requests.py 127.0.0.1 "$port" "$messages" "$log"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
wineserver -k 2>/dev/null || true
