#!/usr/bin/env bash
# THE test command (README, .ci/run, .github/workflows/linux.yml). Seven stages, all run even if one fails:
#   1. linux       mvn -B clean install over all modules on the Linux JVM (the win32 tests are reported as skipped;
#                  a failing test does not stop the other modules' tests: all are counted); javadoc is checked and
#                  the artifacts are installed into the local repository for stage 4
#   2. wine        scripts/wine-lane.sh: the win32-tagged tests on a Windows JVM under Wine (then the transport and
#                  race suites again with BUFFERED receives)
#   3. echo-check  ./iocp echo (Win32 under Wine) against a Python sockets client (scripts/echo_check.py)
#   4. examples    scripts/examples.sh: the stand-alone projects in examples/ built against the installed artifacts
#                  and run (natively on io_uring; the echo server also under Wine), each checked from outside
#   5. http-check  ./iocp http --api native and --api netty, natively (io_uring) and on Win32 under Wine, against
#                  curl, Python's http.client and wrk (scripts/http-check.sh, scripts/http_check.py)
#   6. tls-check   ./iocp echo --tls natively (io_uring) and on Win32 under Wine, against Python's ssl module
#                  (scripts/tls-check.sh, scripts/tls_check.py)
#   7. actionlint  lints .github/workflows (actionlint is built with `go install` into .cache/ on first use)
# Then adds up every JUnit XML report (Surefire's, the Wine lane's, echo-check's, the examples', http-check's,
# tls-check's) and
# closes with exactly one line:
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
    # After a green stage 1 the artifacts are installed: skip the examples' own install.
    if [ "$1" = 1 ]; then "$IOCP_ROOT/scripts/examples.sh" --no-install; else "$IOCP_ROOT/scripts/examples.sh"; fi
}

wine_lane() {
    # After a green `mvn verify` everything the lane needs is built: skip its own Maven run.
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
    "$bin" -no-color .github/workflows/*.yml && echo "actionlint: .github/workflows OK"
}

t0=$(now)
failed_stage=0
stage linux linux_suite || failed_stage=1
skip_build=1
[ "$failed_stage" = 0 ] || skip_build=0
stage wine wine_lane "$skip_build" || failed_stage=1
stage echo-check env IOCP_ECHO_CHECK_JUNIT="$IOCP_ROOT/win-tests/target/echo-check-reports/TEST-echo-check.xml" \
    "$IOCP_ROOT/scripts/echo-check.sh" || failed_stage=1
stage examples examples_stage "$skip_build" || failed_stage=1
stage http-check http_check_stage || failed_stage=1
stage tls-check tls_check_stage || failed_stage=1
stage actionlint actionlint_stage || failed_stage=1

reports=()
for d in ./*/target/surefire-reports win-tests/target/wine-reports win-tests/target/echo-check-reports \
    examples/target/example-reports iocp-http/target/http-check-reports win-tests/target/tls-check-reports; do [ -d "$d" ] && reports+=("$d"); done
summary="$(python3 scripts/junit-summary.py "${reports[@]}")" || failed_stage=1

log "summary"
for i in "${!stage_names[@]}"; do printf '  %-11s %s\n' "${stage_names[$i]}" "${stage_results[$i]}"; done
printf '  %-11s %s s\n' total "$(($(now) - t0))"
printf '  %-11s %s\n' surefire "$(python3 scripts/junit-summary.py ./*/target/surefire-reports 2>/dev/null)"
printf '  %-11s %s\n' wine "$(python3 scripts/junit-summary.py win-tests/target/wine-reports 2>/dev/null)"
printf '  %-11s %s\n' echo-check "$(python3 scripts/junit-summary.py win-tests/target/echo-check-reports 2>/dev/null)"
printf '  %-11s %s\n' examples "$(python3 scripts/junit-summary.py examples/target/example-reports 2>/dev/null)"
printf '  %-11s %s\n' http-check "$(python3 scripts/junit-summary.py iocp-http/target/http-check-reports 2>/dev/null)"
printf '  %-11s %s\n' tls-check "$(python3 scripts/junit-summary.py win-tests/target/tls-check-reports 2>/dev/null)"

# summary = "P passed, F failed, S skipped"
read -r passed _ failed _ skipped _ <<<"$summary"
rc=0
[ "$failed_stage" = 0 ] || { echo "test-all: a stage failed" >&2; rc=1; }
[ "${failed:-1}" = 0 ] || { echo "test-all: tests failed" >&2; rc=1; }
[ "$((${passed:-0} + ${failed:-0}))" -gt 0 ] || { echo "test-all: no test ran" >&2; rc=1; }
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$rc"
