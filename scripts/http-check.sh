#!/usr/bin/env bash
# Runs `./iocp http` once per API (--api native, then --api netty) and checks each server with
# scripts/http_check.py — clients that share no code with iocp: curl for each route, keep-alive and
# Connection: close; Python's http.client over raw sockets for pipelining, refusals, limits and the timeout; and a
# short wrk run whose every response must be a 200. Each server is started once and all checks run against it
# (Wine's start-up is the slow part).
# Usage: scripts/http-check.sh [JUNIT_DIR]
#   default: the Win32 backend on a Windows JVM under Wine; IOCP_NATIVE=1: the local JVM (io_uring on Linux).
#   JUNIT_DIR gets one report per API, TEST-http-check.<api>.<backend>.xml.
# Installs curl and wrk (Debian packages) if missing. Exit 0 only if every check of both servers passed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/wine-env.sh
. "$root/scripts/wine-env.sh"
junit_dir="${1:-}"

for tool in curl wrk; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "http-check: $tool not found: installing the Debian package $tool" >&2
        iocp_apt_install "$tool" || { echo "http-check: could not install $tool" >&2; exit 1; }
    fi
done

if [ "${IOCP_NATIVE:-0}" = 1 ]; then
    backend="$(uname -s | grep -qi linux && echo io_uring || echo native)"
    timeout_ms=3000
    wrk_connections=16
else
    backend=win32
    timeout_ms=5000   # Wine's slower path still answers each request well inside it
    wrk_connections=8
fi

log="$(mktemp)"
pid=""
stop_server() {
    if [ -n "$pid" ]; then
        # The server runs in a process group of its own (setsid below): end the whole group, the JVM included,
        # whatever the launcher forked on its way there.
        kill -TERM -- "-$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        pid=""
    fi
    # Under Wine the Windows JVM is a child of wine's loader: end the prefix's processes too.
    [ "${IOCP_NATIVE:-0}" = 1 ] || wineserver -k 2>/dev/null
}
trap 'stop_server; rm -f "$log"' EXIT

failed=0
for api in native netty; do
    : >"$log"
    setsid "$root/iocp" http --api "$api" --host 127.0.0.1 --port 0 --timeout "$timeout_ms" >"$log" 2>&1 &
    pid=$!
    port=""
    for _ in $(seq 1 1800); do  # up to 180 s: the first run may build the jar and set Wine up
        port="$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | sed 's/.*://')"
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "http-check: ./iocp http --api $api printed no 'listening on' line:"
        cat "$log"
        failed=1
        stop_server
        continue
    fi
    grep 'listening on' "$log"
    python3 "$root/scripts/http_check.py" 127.0.0.1 "$port" --label "$api.$backend" --timeout-ms "$timeout_ms" \
        --wrk-connections "$wrk_connections" ${junit_dir:+--junit "$junit_dir/TEST-http-check.$api.$backend.xml"} \
        || failed=1
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "http-check: the $api server died during the checks:"
        cat "$log"
        failed=1
    fi
    stop_server
done
exit "$failed"
