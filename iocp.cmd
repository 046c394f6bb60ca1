@echo off
rem iocp launcher for Windows: iocp.cmd COMMAND [ARGS...]   e.g. iocp.cmd doctor, iocp.cmd race
rem Runs iocp-cli\target\iocp-cli.jar on the local JVM (JAVA_HOME\bin\java, else java on PATH); builds it with
rem Maven (mvn on PATH) first if it is missing (after changing sources, rebuild: mvn -DskipTests -pl iocp-cli -am package).
rem IOCP_JAVA_OPTS: extra JVM options.
setlocal
set "IOCP_ROOT=%~dp0"
set "IOCP_JAR=%IOCP_ROOT%iocp-cli\target\iocp-cli.jar"
if not exist "%IOCP_JAR%" (
  echo [iocp] building iocp-cli\target\iocp-cli.jar 1>&2
  call mvn -B -q -f "%IOCP_ROOT%pom.xml" -DskipTests -pl iocp-cli -am package 1>&2
  if errorlevel 1 exit /b 1
)
set "IOCP_JAVA=java"
if defined JAVA_HOME set "IOCP_JAVA=%JAVA_HOME%\bin\java"
"%IOCP_JAVA%" %IOCP_JAVA_OPTS% -jar "%IOCP_JAR%" %*
exit /b %ERRORLEVEL%
