#!/usr/bin/env bash
# Faults inside the server's handlers and memory, checked from outside the process: scripts/fault_probe_check.py
# (a handler's stack overflow natively and on iocp-netty, direct memory run out, each with its negative control),
# on dev.iocp.cli.FaultProbeServer from the CLI's tests jar (test-only: no production flag).
# Usage: scripts/fault-probe-check.sh [JUNIT_XML_PATH]
#   IOCP_NATIVE=1  on the local JVM (io_uring); without it, the Win32 backend on a Windows JVM under Wine.
# Needs iocp-cli/target/iocp-cli.jar and the -tests.jar (mvn -B -ntp -o -q -pl iocp-cli -am -DskipTests package).
# Exit 0 only if every case passed. Wall time: natively ~15 s, under Wine ~40 s.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/iocp-cli/target/iocp-cli.jar"
tests="$(ls "$root"/iocp-cli/target/iocp-cli-*-tests.jar 2>/dev/null | head -1)"
[ -f "$jar" ] && [ -n "$tests" ] || { echo "fault-probe-check: build iocp-cli (jar and tests jar) first"; exit 1; }
args=()
[ -n "${1:-}" ] && args+=(--junit "$1")
if [ "${IOCP_NATIVE:-0}" = 1 ]; then
    exec python3 "$root/scripts/fault_probe_check.py" --cp "$jar:$tests" "${args[@]}"
fi
# shellcheck source=scripts/wine-env.sh
. "$root/scripts/wine-env.sh"
iocp_wine_setup || exit 1
mapfile -t defaults < <(iocp_wine_jvm_defaults)
if jna_dir="$(iocp_wine_jna_dir "$jar")"; then
    defaults+=("-Djna.boot.library.path=$(iocp_winpath "$jna_dir")")
fi
java_cmd="wine $(printf '%q' "$IOCP_WINE_JAVA")"
for d in "${defaults[@]}"; do java_cmd+=" $(printf '%q' "$d")"; done
trap 'wineserver -k 2>/dev/null' EXIT
# No provided-buffer ring on Win32: a smaller direct-memory limit runs out the same way.
python3 "$root/scripts/fault_probe_check.py" ${IOCP_FAULT_PROBE_ARGS:-} --java "$java_cmd" --direct-memory 2m \
    --cp "$(iocp_winpath "$jar");$(iocp_winpath "$tests")" "${args[@]}"
