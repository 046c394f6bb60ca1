/**
 * iocp-netty on the Win32 backend under Wine.
 *
 * <p>On {@code windows-latest}, {@code mvn verify} runs iocp-netty's whole test suite — Netty's socket test suite
 * against our channels, and the autoRead race — natively on the win32 backend (the platform's default there). Under
 * Wine, Netty's test suite cannot run at all: every one of its socket tests binds to {@code NetUtil.LOCALHOST}, and
 * NetUtil's initialisation walks {@code NetworkInterface.getAll()}, which kills the Windows JVM under Wine 8 with
 * 0xc06d007f (ARCHITECTURE.md, Wine fact 12; measured: hs_err shows the crash in NetworkInterface.getAll from
 * NetUtil.&lt;clinit&gt;). iocp-netty itself avoids NetUtil, and the Wine lane sets {@code -Dio.netty.machineId} so
 * that Netty's channel ids do not reach it either; so what runs here is our own Netty test, the autoRead race
 * (every byte verified, the window hit, and its negative control), on a real completion port.
 */
package dev.iocp.wintests.netty;
