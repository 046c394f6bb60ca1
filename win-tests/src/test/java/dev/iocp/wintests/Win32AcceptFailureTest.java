package dev.iocp.wintests;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.transport.testing.AcceptFailureTest;
import dev.iocp.transport.testing.TransportEnv;

/**
 * Accept failures injected into the Win32 backend over real loopback sockets (under Wine, or on Windows): the
 * AcceptEx path with WSAEMFILE / WSAENOBUFS / WSAECONNRESET as WSASocketW and AcceptEx report them.
 */
@WindowsOnly
class Win32AcceptFailureTest extends AcceptFailureTest {
    @Override
    protected TransportEnv newEnv() {
        return new RealSocketEnv();
    }

    @Override
    protected BackendFactory backendFactory(TransportEnv env) {
        return Backends.byName("win32");
    }
}
