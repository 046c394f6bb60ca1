package dev.iocp.core.win32;

/** Whether this Windows JVM runs under Wine (where some Win32 behaviour differs: ARCHITECTURE.md, "Wine facts"). */
public final class Wine {
    private Wine() {}

    private static final boolean UNDER_WINE = detect();

    /** True on a Windows JVM under Wine: Wine's ntdll exports wine_get_version, Windows' does not. */
    public static boolean underWine() {
        return UNDER_WINE;
    }

    private static boolean detect() {
        if (!System.getProperty("os.name", "").startsWith("Windows")) {
            return false;
        }
        try {
            com.sun.jna.NativeLibrary.getInstance("ntdll").getFunction("wine_get_version");
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }
}
