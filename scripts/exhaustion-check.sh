#!/usr/bin/env bash
# Runs the CLI's servers as an operator would — cold, natively (IOCP_NATIVE=1, the io_uring backend), under
# `prlimit --nofile=256:256` — holds 400 connections past the limit, releases them, and checks from outside the
# process that each server serves a fresh client within 10 s, used at most 20 % of a core while exhausted, and has
# its descriptors back: scripts/exhaustion_check.py (cases echo, race-server, http-native, http-netty).
# Usage: scripts/exhaustion-check.sh [JUNIT_XML_PATH]
#   IOCP_EXHAUSTION_JAR=/path/to/iocp-cli.jar  check that jar instead of the worktree's (./iocp builds it if stale);
#                                               the negative control is a jar built from a commit before the fix.
# Exit 0 only if every case passed. Wall time: ~25 s once the jar is built.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v prlimit >/dev/null || { echo "exhaustion-check: prlimit (util-linux) is missing"; exit 1; }
args=()
[ -n "${1:-}" ] && args+=(--junit "$1")
if [ -n "${IOCP_EXHAUSTION_JAR:-}" ]; then
    args+=(--launcher "java -jar $IOCP_EXHAUSTION_JAR")
else
    # Build first, outside the limit (./iocp would rebuild a stale jar inside the limited process).
    IOCP_NATIVE=1 "$root/iocp" help >/dev/null || { echo "exhaustion-check: cannot build the CLI"; exit 1; }
fi
exec python3 "$root/scripts/exhaustion_check.py" "${args[@]}"
