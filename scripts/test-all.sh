#!/usr/bin/env bash
# THE test command (README, .ci/run, .github/workflows/linux.yml). These stages, all run even if one fails:
#   1. linux       mvn -B clean install over all modules on the Linux JVM (the win32 tests are reported as skipped;
#                  a failing test does not stop the other modules' tests: all are counted); javadoc is checked and
#                  the artifacts are installed into the local repository for the examples stage
#   2. wine        scripts/wine-lane.sh: the win32-tagged tests on a Windows JVM under Wine 10 (then the transport
#                  and race suites again with BUFFERED receives)
#   3. wine-netty  scripts/wine-lane.sh netty: iocp-netty's tests (Netty's socket test suite on our channels) on the
#                  Win32 backend under Wine 10, one Windows JVM per class with a hard time limit each
#   4. wine-http   scripts/wine-lane.sh http: iocp-http's tests (behaviour suite, Reactor Netty) likewise
#   5. echo-check  ./iocp echo (Win32 under Wine) against a Python sockets client (scripts/echo_check.py)
#   6. examples    scripts/examples.sh: the stand-alone projects in examples/ built against the installed artifacts
#                  and run (natively on io_uring; the echo server also under Wine), each checked from outside
#   7. http-check  ./iocp http --api native and --api netty, natively (io_uring) and on Win32 under Wine, against
#                  curl, Python's http.client and wrk (scripts/http-check.sh, scripts/http_check.py)
#   8. tls-check   ./iocp echo --tls natively (io_uring) and on Win32 under Wine, against Python's ssl module
#                  (scripts/tls-check.sh, scripts/tls_check.py)
#   9. cli         ./iocp doctor, ./iocp race (clean, window hit >= 100 times) and ./iocp bench --quick (prints its
#                  ratios) on the default Windows JVM under Wine 10 (scripts/cli-check.sh)
#  10. reliability the loop's survival checked from outside the process (docs/reliability.md): descriptor
#                  exhaustion (echo, race server, http native/netty) and faults in handlers and memory (stack
#                  overflow, direct memory run out), natively and on Win32 under Wine; network faults (black hole,
#                  loss, SYN drop) natively, in a network namespace of their own
#  11. actionlint  lints .github/workflows (actionlint is built with `go install` into .cache/ on first use),
#                  scripts/doc-links.py (every relative link in the Markdown files resolves), and
#                  scripts/cmd_call_check.py: no batch file run without `call` in a cmd step (with its negative
#                  control, scripts/testdata/cmd-call-bad.yml)
# After stage 1, two streams run in parallel, each about one Windows JVM at a time (one core of the two): stages 2-3
# (the longest: Netty's suite) in one, stages 5-9, 4 and 10 in the other (docs/wine.md has the measured times).
# Then adds up every JUnit XML report (Surefire's, the Wine lanes', echo-check's, the examples', http-check's,
# tls-check's, cli-check's) and closes with exactly one line:
#   tests: N passed, N failed, N skipped
# Exit non-zero if a stage failed, a test failed, or no test ran. Installs what it needs (apt, pip, go, Maven).
set -uo pipefail

# shellcheck source=scripts/wine-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/wine-env.sh"
cd "$IOCP_ROOT"

ACTIONLINT_VERSION="v1.7.12"
log() { printf '\n[test-all] %s\n' "$*" >&2; }
now() { date +%s; }

declare -a stage_names=() stage_results=()
stage() {  # stage NAME COMMAND...: runs it, records ok/FAILED and the time it took
    local name="$1" t rc
    shift
    log "stage $name: $*"
    t=$(now)
    "$@"
    rc=$?
    stage_names+=("$name")
    if [ "$rc" = 0 ]; then stage_results+=("ok, $(($(now) - t)) s"); else stage_results+=("FAILED (exit $rc), $(($(now) - t)) s"); fi
    return "$rc"
}

linux_suite() {
    iocp_ensure_linux_jdk || return 1
    # Test failures do not stop the build (every module's tests run and are counted from their reports; a failed
    # test still fails test-all below); a compile or packaging error fails this stage.
    # install, not verify: the examples stage builds against the installed artifacts, as a user's project would.
    iocp_mvn -B -ntp -Dmaven.test.failure.ignore=true clean install
}

examples_stage() {
    # After a green stage 1 the artifacts are installed: skip the examples' own install (1: installed).
    if [ "$1" = 1 ]; then "$IOCP_ROOT/scripts/examples.sh" --no-install; else "$IOCP_ROOT/scripts/examples.sh"; fi
}

wine_lane() {
    # After a green `mvn install` everything the lane needs is built: skip its own Maven run.
    IOCP_WINE_SKIP_BUILD="$1" "$IOCP_ROOT/scripts/wine-lane.sh" || return 1
    # The lane ran in the default receive mode (PROVIDED: on Win32, which has no provided buffers, the same as
    # READINESS); the transport and race suites once more with BUFFERED
    # receives, so that both modes keep every invariant on the Win32 backend too.
    IOCP_WINE_SKIP_BUILD=1 IOCP_WINE_JAVA_OPTS="-Diocp.receiveMode=buffered" \
        IOCP_WINE_REPORTS="$IOCP_ROOT/win-tests/target/wine-reports/buffered" \
        IOCP_WINE_SELECT="--select-class dev.iocp.wintests.Win32TransportTest --select-class dev.iocp.wintests.race.RaceWin32Test" \
        "$IOCP_ROOT/scripts/wine-lane.sh"
}

http_check_stage() {
    local dir="$IOCP_ROOT/iocp-http/target/http-check-reports" rc=0
    mkdir -p "$dir"
    IOCP_NATIVE=1 "$IOCP_ROOT/scripts/http-check.sh" "$dir" || rc=1
    "$IOCP_ROOT/scripts/http-check.sh" "$dir" || rc=1
    return "$rc"
}

tls_check_stage() {
    # ./iocp echo --tls natively (io_uring), then on Win32 under Wine, against Python's ssl module.
    local dir="$IOCP_ROOT/win-tests/target/tls-check-reports" rc=0
    IOCP_NATIVE=1 "$IOCP_ROOT/scripts/tls-check.sh" "$dir/TEST-tls-check-native.xml" || rc=1
    "$IOCP_ROOT/scripts/tls-check.sh" "$dir/TEST-tls-check-wine.xml" || rc=1
    return "$rc"
}

actionlint_stage() {
    local bin="$IOCP_CACHE/bin/actionlint"
    if [ ! -x "$bin" ] || ! "$bin" -version 2>/dev/null | head -1 | grep -qx "$ACTIONLINT_VERSION"; then
        if ! command -v go >/dev/null 2>&1; then
            log "go not found: installing golang-go (a newer toolchain is fetched as a Go module if needed)"
            iocp_apt_install golang-go || return 1
        fi
        log "go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
        GOPATH="$IOCP_CACHE/go" GOBIN="$IOCP_CACHE/bin" GOMODCACHE="$IOCP_CACHE/go/pkg/mod" \
            GOCACHE="$IOCP_CACHE/go/build" GOFLAGS=-modcacherw \
            go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" || return 1
    fi
    # actionlint runs shellcheck on `run:` scripts when shellcheck is on PATH (optional).
    "$bin" -no-color .github/workflows/*.yml && echo "actionlint: .github/workflows OK" || return 1
    # A batch file (mvn.cmd, iocp.cmd...) run without `call` in a cmd step ends the step's script there.
    python3 -c 'import yaml' 2>/dev/null || { log "installing python3-yaml"; iocp_apt_install python3-yaml; } || return 1
    python3 scripts/cmd_call_check.py --self-test || return 1
    python3 scripts/cmd_call_check.py .github/workflows/*.yml || return 1
    # Every relative link and anchor in the Markdown files resolves.
    python3 scripts/doc-links.py
}

cli_stage() {
    "$IOCP_ROOT/scripts/cli-check.sh" "$IOCP_ROOT/iocp-cli/target/cli-check-reports"
}

reliability_stage() {
    local dir="$IOCP_ROOT/win-tests/target/reliability-reports" rc=0
    mkdir -p "$dir"
    command -v prlimit >/dev/null 2>&1 || iocp_apt_install util-linux || return 1
    command -v nft >/dev/null 2>&1 || iocp_apt_install nftables || return 1
    # The fault probe runs from the CLI's tests jar (stage linux's install builds it; built here if missing).
    ls "$IOCP_ROOT"/iocp-cli/target/iocp-cli-*-tests.jar >/dev/null 2>&1 \
        || (cd "$IOCP_ROOT" && iocp_mvn -B -ntp -q -pl iocp-cli -am -DskipTests package) || return 1
    IOCP_NATIVE=1 "$IOCP_ROOT/scripts/exhaustion-check.sh" "$dir/TEST-exhaustion-check-native.xml" || rc=1
    "$IOCP_ROOT/scripts/exhaustion-check.sh" "$dir/TEST-exhaustion-check-wine.xml" || rc=1
    IOCP_NATIVE=1 "$IOCP_ROOT/scripts/fault-probe-check.sh" "$dir/TEST-fault-probe-check-native.xml" || rc=1
    "$IOCP_ROOT/scripts/fault-probe-check.sh" "$dir/TEST-fault-probe-check-wine.xml" || rc=1
    python3 "$IOCP_ROOT/scripts/netfault_check.py" --junit "$dir/TEST-netfault-check.xml" || rc=1
    return "$rc"
}

# Stage bookkeeping for the two parallel streams: each stream records into its own file, read back after both.
stream_file=""
stream_stage() {  # stream_stage NAME COMMAND...: like stage, for a stream running in the background
    local name="$1" t rc
    shift
    log "stage $name: $*"
    t=$(now)
    "$@"
    rc=$?
    if [ "$rc" = 0 ]; then printf '%s\tok, %s s\n' "$name" "$(($(now) - t))" >>"$stream_file"
    else printf '%s\tFAILED (exit %s), %s s\n' "$name" "$rc" "$(($(now) - t))" >>"$stream_file"; fi
    return "$rc"
}


t0=$(now)
failed_stage=0
installed=1
stage linux linux_suite || { failed_stage=1; installed=0; }
if [ "$installed" = 0 ]; then
    # Build once here, so that the two streams below do not both run Maven in the same tree.
    iocp_mvn -B -ntp -q -DskipTests package || failed_stage=1
fi
skip_build=1
# Set Wine up once (idempotent and locked anyway), before two streams want it at once.
iocp_wine_setup || failed_stage=1

streams_dir="$IOCP_CACHE/test-all-streams"
rm -rf "$streams_dir" && mkdir -p "$streams_dir"
(
    stream_file="$streams_dir/1"
    stream_stage wine wine_lane "$skip_build"
    stream_stage wine-netty env IOCP_WINE_SKIP_BUILD=1 "$IOCP_ROOT/scripts/wine-lane.sh" netty
) >"$streams_dir/1.log" 2>&1 &
stream1=$!
(
    stream_file="$streams_dir/2"
    # A Wine prefix of its own, hence a wineserver of its own: these checks end their servers with `wineserver -k`,
    # which must not end the other stream's JVMs.
    export IOCP_WINEPREFIX="$IOCP_CACHE/wine10-prefix-checks"
    # wine-env.sh, sourced above, exported WINEPREFIX for the first stream's prefix; a script that reads it (not
    # IOCP_WINEPREFIX) would end the other stream's wineserver, and its JVMs with it (measured: four Netty suite
    # classes died at once while the reliability checks ran). Both name this stream's prefix.
    export WINEPREFIX="$IOCP_WINEPREFIX"
    stream_stage echo-check env IOCP_ECHO_CHECK_JUNIT="$IOCP_ROOT/win-tests/target/echo-check-reports/TEST-echo-check.xml" \
        "$IOCP_ROOT/scripts/echo-check.sh"
    stream_stage examples examples_stage "$installed"
    stream_stage http-check http_check_stage
    stream_stage tls-check tls_check_stage
    stream_stage cli cli_stage
    stream_stage wine-http env IOCP_WINE_SKIP_BUILD=1 "$IOCP_ROOT/scripts/wine-lane.sh" http
    stream_stage reliability reliability_stage
) >"$streams_dir/2.log" 2>&1 &
stream2=$!
# Each stream's output is shown whole once it ends (interleaved, two streams would be unreadable).
wait "$stream2"; cat "$streams_dir/2.log"
wait "$stream1"; cat "$streams_dir/1.log"
for f in "$streams_dir/1" "$streams_dir/2"; do
    while IFS=$'\t' read -r name result; do
        stage_names+=("$name"); stage_results+=("$result")
        case "$result" in ok*) ;; *) failed_stage=1 ;; esac
    done <"$f"
done
stage actionlint actionlint_stage || failed_stage=1

reports=()
for d in ./*/target/surefire-reports win-tests/target/wine-reports iocp-netty/target/wine-reports \
    iocp-http/target/wine-reports win-tests/target/echo-check-reports examples/target/example-reports \
    iocp-http/target/http-check-reports win-tests/target/tls-check-reports iocp-cli/target/cli-check-reports \
    win-tests/target/reliability-reports; do
    [ -d "$d" ] && reports+=("$d")
done
summary="$(python3 scripts/junit-summary.py "${reports[@]}")" || failed_stage=1

log "summary"
for i in "${!stage_names[@]}"; do printf '  %-11s %s\n' "${stage_names[$i]}" "${stage_results[$i]}"; done
printf '  %-11s %s s\n' total "$(($(now) - t0))"
printf '  %-11s %s\n' surefire "$(python3 scripts/junit-summary.py ./*/target/surefire-reports 2>/dev/null)"
printf '  %-11s %s\n' wine "$(python3 scripts/junit-summary.py win-tests/target/wine-reports 2>/dev/null)"
printf '  %-11s %s\n' wine-netty "$(python3 scripts/junit-summary.py iocp-netty/target/wine-reports 2>/dev/null)"
printf '  %-11s %s\n' wine-http "$(python3 scripts/junit-summary.py iocp-http/target/wine-reports 2>/dev/null)"
printf '  %-11s %s\n' echo-check "$(python3 scripts/junit-summary.py win-tests/target/echo-check-reports 2>/dev/null)"
printf '  %-11s %s\n' examples "$(python3 scripts/junit-summary.py examples/target/example-reports 2>/dev/null)"
printf '  %-11s %s\n' http-check "$(python3 scripts/junit-summary.py iocp-http/target/http-check-reports 2>/dev/null)"
printf '  %-11s %s\n' tls-check "$(python3 scripts/junit-summary.py win-tests/target/tls-check-reports 2>/dev/null)"
printf '  %-11s %s\n' cli "$(python3 scripts/junit-summary.py iocp-cli/target/cli-check-reports 2>/dev/null)"
printf '  %-11s %s\n' reliability "$(python3 scripts/junit-summary.py win-tests/target/reliability-reports 2>/dev/null)"

# summary = "P passed, F failed, S skipped"
read -r passed _ failed _ skipped _ <<<"$summary"
rc=0
[ "$failed_stage" = 0 ] || { echo "test-all: a stage failed" >&2; rc=1; }
[ "${failed:-1}" = 0 ] || { echo "test-all: tests failed" >&2; rc=1; }
[ "$((${passed:-0} + ${failed:-0}))" -gt 0 ] || { echo "test-all: no test ran" >&2; rc=1; }
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$rc"
