package dev.iocp.core.win32;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 64-bit check of the Win32 backend's start: its logic for every JVM it may meet, on whichever JVM runs this. */
class UnsupportedJvmExceptionTest {
    @Test
    void aSixtyFourBitJvmIsAccepted() {
        assertNull(UnsupportedJvmException.refusal("64", 8));
        assertNull(UnsupportedJvmException.refusal(null, 8), "a JVM that does not say: its pointer size decides");
    }

    @Test
    void aThirtyTwoBitJvmIsRefusedNamingWhatGaveItAway() {
        String byPointers = UnsupportedJvmException.refusal("32", 4);
        assertNotNull(byPointers);
        assertTrue(byPointers.contains("64-bit JVM") && byPointers.contains("Native.POINTER_SIZE 4")
                && byPointers.contains("sun.arch.data.model 32"), byPointers);

        String byDataModel = UnsupportedJvmException.refusal("32", 8);
        assertNotNull(byDataModel, "a JVM that says 32-bit is refused even if JNA measured 8-byte pointers");
        assertTrue(byDataModel.contains("sun.arch.data.model 32"), byDataModel);

        assertNotNull(UnsupportedJvmException.refusal(null, 4), "4-byte pointers whatever the JVM says");
    }

    @Test
    void theJvmRunningTheseTestsPasses() {
        // The build's JVMs are 64-bit; the check must not refuse them (it runs first in every Win32Backend).
        assertDoesNotThrow(UnsupportedJvmException::requireSixtyFourBit);
        assertTrue(new UnsupportedJvmException("x") instanceof IllegalStateException,
                "catchable where the backend's other start-up refusals are");
    }
}
