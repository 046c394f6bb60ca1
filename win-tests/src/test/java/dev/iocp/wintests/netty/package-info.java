/**
 * Netty's own socket test suite on the Win32 backend: iocp-netty's channels over a real completion port.
 *
 * <p>On {@code windows-latest} the whole iocp-netty suite runs natively ({@code mvn verify} runs iocp-netty's tests
 * on the platform's backend, which is win32 there). Under Wine the lane runs the subset here, iocp × iocp only, for
 * two measured reasons: Netty's NIO transport does not run under Wine 8 (WEPoll's close crashes in Wine's heap, and
 * the legacy selector needs the workarounds only the benchmark launcher passes; see README "On Windows"), and the
 * lane's time budget — the TLS echo matrix alone (96 cases × 3 combinations) takes ~50 s natively, several minutes
 * under Wine. The classes chosen are the ones that exercise what is Win32-specific in the channels: echo and
 * gathering writes (WSASend of several WSABUFs), auto-read and read-pending (the held receive), half-closure and
 * shutdown (shutdown(SD_SEND), FIN as a 0-byte completion), RST (SO_LINGER 0) and the autoRead race.
 */
package dev.iocp.wintests.netty;
