#!/usr/bin/env bash
# Runs `./iocp echo --tls` (the Win32 backend on a Windows JVM under Wine; IOCP_NATIVE=1: the local JVM's backend)
# and checks it with scripts/tls_check.py — Python's ssl module (OpenSSL), no code shared with iocp: echo with
# close_notify both ways, a truncated close, bytes that are not TLS, 16 connections at once.
# The certificate: made here with `openssl req` (so --cert/--key read OpenSSL's PEM files) where openssl is
# installed (and IOCP_TLS_CHECK_SELF_SIGNED is not 1), else the one the server generates at start-up (the file it
# names on stderr).
# Usage: scripts/tls-check.sh [JUNIT_XML]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/wine-env.sh
. "$root/scripts/wine-env.sh"  # the project's Wine (its wineserver, winepath, WINEPREFIX) for what follows
junit="${1:-}"
work="$(mktemp -d)"
log="$work/server.log"
args=(echo --tls --host 127.0.0.1 --port 0)
cafile=""
if [ "${IOCP_TLS_CHECK_SELF_SIGNED:-0}" != 1 ] && command -v openssl >/dev/null 2>&1; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" \
        >/dev/null 2>&1 || { echo "tls-check: openssl req failed"; exit 1; }
    args+=(--cert "$work/cert.pem" --key "$work/key.pem")
    cafile="$work/cert.pem"
fi
"$root/iocp" "${args[@]}" >"$log" 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null
    [ "${IOCP_NATIVE:-0}" = 1 ] || wineserver -k 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
port=""
for _ in $(seq 1 600); do  # up to 60 s: the first run may build the jar and set Wine up
    port="$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | sed 's/.*://')"
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "tls-check: ./iocp echo --tls exited early:"; cat "$log"; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "tls-check: no 'listening on' line within 60 s:"; cat "$log"; exit 1; }
grep 'listening on' "$log"
if [ -z "$cafile" ]; then  # the server's own certificate (a Windows path under Wine)
    cafile="$(sed -n 's/^tls: self-signed certificate .* in //p' "$log" | tr -d '\r')"
    case "$cafile" in [A-Za-z]:\\*) cafile="$(winepath -u "$cafile" 2>/dev/null)" ;; esac
    [ -f "$cafile" ] || { echo "tls-check: no certificate file named by the server:"; cat "$log"; exit 1; }
fi
python3 "$root/scripts/tls_check.py" 127.0.0.1 "$port" "$cafile" ${junit:+"$junit"}
