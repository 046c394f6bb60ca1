package dev.iocp.core.win32;

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
    public static synchronized Info startup() throws Win32Exception {
        throw new UnsupportedOperationException("Winsock bindings not written yet");
    }
}
