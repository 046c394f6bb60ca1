package dev.iocp.core.testing;

/** Facts about where a test runs. */
public final class Platform {
    private Platform() {}

    private static final boolean WINE = detectWine();

    /** True on a Windows JVM running under Wine (Wine's ntdll exports wine_get_version; Windows' does not). */
    public static boolean underWine() {
        return WINE;
    }

    private static boolean detectWine() {
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
