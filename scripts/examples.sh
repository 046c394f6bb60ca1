#!/usr/bin/env bash
# Builds the stand-alone projects in examples/ against the installed iocp artifacts, exactly as a user would
# (`mvn package` in each, resolving dev.iocp:* from the local repository), and runs them, checked from outside by
# scripts/example_check.py:
#   echo-server  natively (Linux: io_uring), on the module path
#   echo-server  on the Windows JVM under Wine (win32: a real completion port), on the module path
#   http-server  natively (Linux: io_uring), on the class path
# Reports: examples/target/example-reports/TEST-*.xml (one per run). Exit 0 only if every run passed.
# Usage: scripts/examples.sh [--no-install]   (--no-install: the artifacts are already installed, e.g. by test-all)
#        IOCP_EXAMPLES_WINE=0 skips the Wine run.
set -uo pipefail

# shellcheck source=scripts/wine-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/wine-env.sh"
cd "$IOCP_ROOT"

log() { printf '[examples] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

reports="$IOCP_ROOT/examples/target/example-reports"
rm -rf "$reports"
mkdir -p "$reports"

# The examples pin the iocp version they were written for, like any user; it must be the one this tree builds,
# and the BOM (which has no parent) must carry it too.
pom_version() { python3 -c 'import sys, xml.etree.ElementTree as E
n = {"m": "http://maven.apache.org/POM/4.0.0"}
r = E.parse(sys.argv[1]).getroot()
p = sys.argv[2]
print((r.find(p, n) if p.startswith("m:") else r.find("m:properties/m:" + p, n)).text)' "$@"; }
version="$(pom_version pom.xml m:version)" || die "reading the version of pom.xml"
[ "$(pom_version iocp-bom/pom.xml m:version)" = "$version" ] || die "iocp-bom's version is not the parent's ($version)"
for e in echo-server http-server; do
    [ "$(pom_version "examples/$e/pom.xml" iocp.version)" = "$version" ] ||
        die "examples/$e/pom.xml's iocp.version is not $version"
done

iocp_ensure_linux_jdk || die "no JDK"
if [ "${1:-}" != "--no-install" ]; then
    log "mvn install (iocp $version, no tests)"
    iocp_mvn -B -ntp -q -DskipTests install || die "mvn install"
fi

for e in echo-server http-server; do
    log "building examples/$e against the installed artifacts"
    (cd "examples/$e" && iocp_mvn -B -ntp -q clean package) || die "building examples/$e"
done
echo_dir="$IOCP_ROOT/examples/echo-server/target"
http_dir="$IOCP_ROOT/examples/http-server/target"

# JVM options a JDK 24+ needs to run Netty and JNA without warnings: netty-common's sun.misc.Unsafe, and JNA's
# native access (com.sun.jna on the module path, the unnamed module on the class path). JDK 17/21: none.
jdk_major() { "$@" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
modern_opts() {  # modern_opts MAJOR: prints one option a line
    [ "${1:-0}" -ge 24 ] 2>/dev/null || return 0
    printf '%s\n' --sun-misc-unsafe-memory-access=allow --enable-native-access=com.sun.jna,ALL-UNNAMED
}

rc=0
check() {  # check KIND NAME [--backend B] -- COMMAND...
    local kind="$1" name="$2"
    shift 2
    log "run $name"
    python3 "$IOCP_ROOT/scripts/example_check.py" "$kind" --name "$name" --junit "$reports/TEST-$name.xml" "$@" ||
        rc=1
}

native_major="$(jdk_major java)"
mapfile -t native_opts < <(modern_opts "$native_major")
check echo example-echo-native --backend io_uring -- \
    java "${native_opts[@]}" -p "$echo_dir/echo-server.jar:$echo_dir/lib" -m example.echo/example.echo.EchoServer 127.0.0.1 0
check http example-http-native -- \
    java "${native_opts[@]}" -cp "$http_dir/http-server.jar:$http_dir/lib/*" example.http.HttpServer 127.0.0.1 0

if [ "${IOCP_EXAMPLES_WINE:-1}" = 1 ]; then
    if iocp_wine_setup; then
        # JNA's DLL unpacked once, as for the lane (scripts/wine-env.sh, iocp_wine_jna_dir).
        jna_dir="$(iocp_wine_jna_dir "$(ls "$echo_dir"/lib/jna-[0-9]*.jar)")" || die "no jnidispatch.dll in JNA's jar"
        # The shared Wine defaults allow the unnamed module's native access; here JNA is the module com.sun.jna.
        mapfile -t wine_opts < <(iocp_wine_jvm_defaults
            [ "${IOCP_WINE_JDK%%.*}" -ge 24 ] 2>/dev/null && printf '%s\n' --enable-native-access=com.sun.jna)
        wineserver -p 2>/dev/null || true  # one wineserver for the run (fails if one already runs: fine)
        check echo example-echo-wine --backend win32 --start-timeout 120 -- \
            wine "$IOCP_WINE_JAVA" "${wine_opts[@]}" "-Djna.boot.library.path=$(iocp_winpath "$jna_dir")" \
            -p "$(iocp_winpath "$echo_dir/echo-server.jar");$(iocp_winpath "$echo_dir/lib")" \
            -m example.echo/example.echo.EchoServer 127.0.0.1 0
        wineserver -k 2>/dev/null || true
    else
        log "Wine set-up failed"
        rc=1
    fi
fi

summary="$(python3 scripts/junit-summary.py --require-tests "$reports")" || rc=1
log "$summary"
exit "$rc"
