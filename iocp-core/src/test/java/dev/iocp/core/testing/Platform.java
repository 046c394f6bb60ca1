package dev.iocp.core.testing;

/** Facts about where a test runs. */
public final class Platform {
    private Platform() {}

    /** True on a Windows JVM running under Wine. */
    public static boolean underWine() {
        return dev.iocp.core.win32.Wine.underWine();
    }
}
