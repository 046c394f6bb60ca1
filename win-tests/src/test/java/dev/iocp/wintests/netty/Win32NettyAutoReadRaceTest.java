package dev.iocp.wintests.netty;

import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.netty.NettyAutoReadRaceTest;

/**
 * The bpo-33694 race through Netty (auto-read toggled every 1–5 ms, every byte verified, the window hit) with the
 * platform's backend — a real completion port here — and its negative control on the simulated backend.
 */
@WindowsOnly
class Win32NettyAutoReadRaceTest extends NettyAutoReadRaceTest {
}
