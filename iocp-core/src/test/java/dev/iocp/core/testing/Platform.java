package dev.iocp.core.testing;

/** Facts about where a test runs. */
public final class Platform {
    private Platform() {}

    /** True on a Windows JVM running under Wine. */
    public static boolean underWine() {
        return dev.iocp.core.win32.Wine.underWine();
    }

    /**
     * True where our abort (SO_LINGER {1,0}, then closesocket) may reach the peer as a FIN instead of an RST: under
     * Wine 10, when the socket has an overlapped receive pending at the close, as every transport's socket has
     * (ARCHITECTURE.md, Wine fact 9; measured: 5-17 % of 200 aborts right after a 3-byte write, in every receive
     * mode, with or without skip-on-success mode or the CancelIoEx before the close, setsockopt and closesocket
     * succeeding; a JDK socket's linger-0 close under the same Wine: 0 of 200). Windows documents the linger-0
     * close as a reset, and windows-latest checks our abort strictly; where this is true a test of the abort's RST
     * accepts the FIN (and says so), never where it is false.
     */
    public static boolean abortMayReachThePeerAsFin() {
        return underWine();
    }
}
