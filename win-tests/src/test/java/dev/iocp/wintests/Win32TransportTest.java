package dev.iocp.wintests;

import dev.iocp.core.testing.WindowsOnly;

/** The transport behaviour suite on the Win32 backend over real loopback sockets. */
@WindowsOnly
class Win32TransportTest extends RealSocketTransportTest {
}
