package dev.iocp.wintests.tls;

import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.transport.TlsBehaviourTest;
import dev.iocp.transport.testing.TransportEnv;
import dev.iocp.wintests.RealSocketEnv;

/** The TLS suite over real loopback sockets on the Win32 backend (Windows, and a Windows JVM under Wine). */
@WindowsOnly
class Win32TlsTest extends TlsBehaviourTest {
    @Override
    protected TransportEnv newEnv() {
        return new RealSocketEnv();
    }
}
