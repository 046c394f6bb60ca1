#!/usr/bin/env bash
# Runs every ./iocp command that needs no peer of its own on the default Windows JVM under Wine 10, and checks it
# did its job without the JVM crashing: doctor (exit 0, reports the win32 backend), race (exit 0: clean, the race
# window hit >= 100 times), bench --quick (exit 0 and its ratios printed: NIO's NetUtil walks NetworkInterface,
# which crashed the Windows JVM under Wine 8). echo and http are checked by echo-check.sh,
# tls-check.sh and http-check.sh; a JVM crash anywhere shows as an hs_err file or an exit code of 0xc...
# Usage: scripts/cli-check.sh [JUNIT_DIR]   (one report, TEST-cli-check.xml; IOCP_NATIVE=1: the local JVM)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/wine-env.sh
. "$root/scripts/wine-env.sh"
junit_dir="${1:-}"
out="$(mktemp -d)"
trap 'rm -rf "$out"; [ "${IOCP_NATIVE:-0}" = 1 ] || wineserver -k 2>/dev/null' EXIT
cases=()  # name<TAB>seconds<TAB>failure message (empty: passed)
rc=0

# check NAME LIMIT_SECONDS EXPECT_REGEX [ARGS...]: ./iocp ARGS under a time limit; passes if it exits 0 and its
# output matches EXPECT_REGEX.
check() {
    local name="$1" limit="$2" expect="$3" t r why=""
    shift 3
    t=$(date +%s)
    echo "[cli-check] ./iocp $*" >&2
    timeout -k 10 "$limit" "$root/iocp" "$@" >"$out/$name.txt" 2>&1
    r=$?
    if [ "$r" = 124 ] || [ "$r" = 137 ]; then why="did not finish within $limit s"
    elif [ "$r" != 0 ]; then why="exited with $r"
    elif ! grep -Eq "$expect" "$out/$name.txt"; then why="its output has no line matching /$expect/"
    fi
    if [ -n "$why" ]; then
        # All of it: a JVM error's first cause is often far above its last line.
        sed "s/^/[cli-check] $name | /" "$out/$name.txt" >&2
        echo "[cli-check] $name: FAILED: $why" >&2
        rc=1
    else
        tail -15 "$out/$name.txt" | sed "s/^/[cli-check] $name | /" >&2
        echo "[cli-check] $name: ok" >&2
    fi
    cases+=("$name"$'\t'"$(($(date +%s) - t))"$'\t'"$why")
}

check doctor 120 '^backend +(win32|io_uring)' doctor
check race 600 '^race: .*lost=0' race
# Two of the quick matrix's scenarios, once each, every server (NIO, NIO.2 and Netty NIO among them): the check is that
# the competitors run on the Windows JVM and the ratios are printed, not the figures (Wine is no performance
# platform). The whole --quick matrix: ~400 s under Wine here.
check bench-quick 600 'ratio_vs_nio=[0-9.]+ ' bench --quick --reps 1 --retry-budget 0 \
    --scenarios pingpong-16B-c1,stream-16KiB-c1 --out "$out/bench"

if [ -n "$junit_dir" ]; then
    mkdir -p "$junit_dir"
    python3 - "$junit_dir/TEST-cli-check.xml" "${IOCP_NATIVE:-0}" "${cases[@]}" <<'PY'
import sys
from xml.sax.saxutils import quoteattr, escape
path, native, cases = sys.argv[1], sys.argv[2], [c.split("\t") for c in sys.argv[3:]]
failed = sum(1 for c in cases if c[2])
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="cli-check" tests="%d" failures="%d" errors="0" skipped="0">\n'
            % (len(cases), failed))
    for name, secs, why in cases:
        f.write('<testcase classname="cli-check.%s" name=%s time="%s">' % ("native" if native == "1" else "wine", quoteattr(name), secs))
        if why:
            f.write('<failure message=%s>%s</failure>' % (quoteattr(why), escape(why)))
        f.write('</testcase>\n')
    f.write('</testsuite>\n')
PY
fi
exit "$rc"
