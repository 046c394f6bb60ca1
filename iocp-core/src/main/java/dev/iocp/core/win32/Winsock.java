package dev.iocp.core.win32;

import dev.iocp.core.backend.IoException;
import io.netty.util.internal.PlatformDependent;

import java.nio.charset.StandardCharsets;

/**
 * Winsock start-up and facts about the Winsock the process runs on.
 * (Implemented by the Win32 bindings work; the signature is fixed so the CLI's doctor command can use it.)
 */
public final class Winsock {
    private Winsock() {}

    /** The version WSAStartup negotiated and the description Winsock gave. */
    public record Info(int major, int minor, String description, String systemStatus) {
        @Override
        public String toString() {
            return major + "." + minor + " (" + description + (systemStatus.isEmpty() ? "" : ", " + systemStatus) + ")";
        }
    }

    /** Calls WSAStartup(2.2) once per process; later calls return the first answer. Windows only. */
    public static synchronized Info startup() throws IoException {
        if (info == null) {
            info = callStartup();
        }
        return info;
    }

    private static Info info;

    /**
     * WSAStartup(MAKEWORD(2, 2)). Never paired with WSACleanup: Winsock stays up for the life of the process (sockets
     * of other loops, and the JDK's own, use it), and the OS tears it down at exit.
     */
    private static Info callStartup() throws IoException {
        long data = PlatformDependent.allocateMemory(Ws2_32.WSADATA_SIZE);
        try {
            PlatformDependent.setMemory(data, Ws2_32.WSADATA_SIZE, (byte) 0);
            int error = Ws2_32.WSAStartup((short) 0x0202, data); // MAKEWORD(2, 2): low byte major, high byte minor
            if (error != 0) {
                throw Win32Error.ERRORS.exception("WSAStartup", error);
            }
            int version = PlatformDependent.getShort(data + Ws2_32.WSADATA_VERSION) & 0xFFFF;
            return new Info(version & 0xFF, version >>> 8,
                    cString(data + Ws2_32.WSADATA_DESCRIPTION, Ws2_32.WSADESCRIPTION_LEN),
                    cString(data + Ws2_32.WSADATA_SYSTEM_STATUS, Ws2_32.WSASYS_STATUS_LEN));
        } finally {
            PlatformDependent.freeMemory(data);
        }
    }

    /** A NUL-terminated ANSI string of at most {@code max} bytes (Winsock writes ASCII here). */
    private static String cString(long at, int max) {
        int n = 0;
        while (n < max && PlatformDependent.getByte(at + n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n];
        PlatformDependent.copyMemory(at, bytes, 0, n);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
