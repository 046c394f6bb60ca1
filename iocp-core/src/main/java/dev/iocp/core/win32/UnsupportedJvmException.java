package dev.iocp.core.win32;

/**
 * The JVM cannot run the Win32 backend. The bindings pass HANDLEs, SOCKETs and pointers as Java {@code long}s and
 * lay out OVERLAPPED, OVERLAPPED_ENTRY, WSABUF and WSADATA as on 64-bit Windows; on a 32-bit JVM each of those
 * would be wrong (a call would read the wrong registers or stack slots, a packet the wrong fields), so the backend
 * refuses to start instead.
 */
public final class UnsupportedJvmException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** @param message which fact of the JVM rules it out, and what would run instead */
    public UnsupportedJvmException(String message) {
        super(message);
    }

    /**
     * Refuses a JVM that is not 64-bit.
     *
     * @throws UnsupportedJvmException on a 32-bit JVM
     */
    public static void requireSixtyFourBit() {
        String refusal = refusal(System.getProperty("sun.arch.data.model"), com.sun.jna.Native.POINTER_SIZE);
        if (refusal != null) {
            throw new UnsupportedJvmException(refusal);
        }
    }

    /**
     * {@return why a JVM with these facts cannot run the Win32 backend, or null if it can}
     *
     * @param dataModel the JVM's {@code sun.arch.data.model} ("64", "32"; null where the JVM does not say)
     * @param pointerSize the native pointer size JNA measured ({@code Native.POINTER_SIZE})
     */
    static String refusal(String dataModel, int pointerSize) {
        if (pointerSize != 8) {
            return "the Win32 backend needs a 64-bit JVM: this one has " + pointerSize * 8 + "-bit pointers"
                    + " (Native.POINTER_SIZE " + pointerSize + ", sun.arch.data.model " + dataModel
                    + "); its bindings are laid out for 64-bit Windows. Run a 64-bit JVM";
        }
        if (dataModel != null && !dataModel.equals("64")) {
            return "the Win32 backend needs a 64-bit JVM: this one says sun.arch.data.model " + dataModel
                    + " (Native.POINTER_SIZE " + pointerSize + "); its bindings are laid out for 64-bit Windows."
                    + " Run a 64-bit JVM";
        }
        return null;
    }
}
