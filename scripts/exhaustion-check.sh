#!/usr/bin/env bash
# Runs the CLI's servers as an operator would — cold, under a descriptor limit (prlimit) — holds connections past
# the limit, releases them, and checks from outside the process that each server serves a fresh client within 10 s,
# used at most 20 % of a core while exhausted, and has its descriptors back: scripts/exhaustion_check.py (cases
# echo, race-server, http-native, http-netty).
# Usage: scripts/exhaustion-check.sh [JUNIT_XML_PATH]
#   IOCP_NATIVE=1   natively (the Linux JVM, io_uring): --nofile=256:256, 400 clients. Without it: the Win32 backend
#                   on a Windows JVM under Wine (the convention of the other checks): --nofile=600:600, 700 clients,
#                   descriptors counted in the wineserver, which holds each socket's Unix descriptor (idle it holds
#                   ~354 of them; under 256 the Windows JVM cannot even start).
#   IOCP_EXHAUSTION_JAR=/path/to/iocp-cli.jar  natively: check that jar instead of the worktree's; the negative
#                   control is a jar built from a commit before the fix (75e2f60 fails all four cases).
# Exit 0 only if every case passed. Wall time: natively ~25 s, under Wine ~30 s (once the jar is built).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v prlimit >/dev/null || { echo "exhaustion-check: prlimit (util-linux) is missing"; exit 1; }
args=()
[ -n "${1:-}" ] && args+=(--junit "$1")
if [ "${IOCP_NATIVE:-0}" = 1 ] && [ -n "${IOCP_EXHAUSTION_JAR:-}" ]; then
    args+=(--launcher "java -jar $IOCP_EXHAUSTION_JAR")
else
    # Build (and under Wine set up) first, outside the limit: ./iocp rebuilds a stale jar on first use.
    "$root/iocp" help >/dev/null || { echo "exhaustion-check: cannot build or start the CLI"; exit 1; }
    [ "${IOCP_NATIVE:-0}" = 1 ] || args+=(--wine --nofile 600 --clients 700)
fi
exec python3 "$root/scripts/exhaustion_check.py" "${args[@]}"
