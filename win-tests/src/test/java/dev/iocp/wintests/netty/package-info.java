/**
 * iocp-netty on the Win32 backend under Wine: the autoRead race (every byte verified, the window hit, and its
 * negative control) on a real completion port, in the win32 lane's one JVM.
 *
 * <p>iocp-netty's whole test suite — Netty's socket test suite against our channels, and our own tests — runs on the
 * Win32 backend too: natively on {@code windows-latest} ({@code mvn install}), and under Wine 10 as
 * {@code scripts/wine-lane.sh netty}, one Windows JVM per class. (Under Wine 8 it could not: NetUtil's
 * initialisation walks {@code NetworkInterface}, which killed the Windows JVM there; ARCHITECTURE.md, Wine fact 12.)
 */
package dev.iocp.wintests.netty;
