package dev.iocp.core.win32;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NT_SUCCESS by severity: success and informational statuses succeed, warnings and errors fail. Any OS. */
class NtStatusTest {
    @Test
    void successAndInformationalStatusesAreSuccesses() {
        assertTrue(NtStatus.isSuccess(NtStatus.STATUS_SUCCESS));
        assertTrue(NtStatus.isSuccess(NtStatus.STATUS_PENDING), "0x103: success severity");
        assertTrue(NtStatus.isSuccess(0x3FFFFFFF), "the last success-severity value");
        assertTrue(NtStatus.isSuccess(0x40000000), "informational severity (comparing with 0 called it a failure)");
        assertTrue(NtStatus.isSuccess(0x7FFFFFFF), "the last informational value");
    }

    @Test
    void warningAndErrorStatusesAreFailures() {
        assertFalse(NtStatus.isSuccess(0x80000000), "the first warning-severity value");
        assertFalse(NtStatus.isSuccess(NtStatus.STATUS_BUFFER_OVERFLOW), "a truncated datagram: reported, with its bytes");
        assertFalse(NtStatus.isSuccess(NtStatus.STATUS_HANDLES_CLOSED), "Wine's status for ops of a closed socket");
        assertFalse(NtStatus.isSuccess(0xBFFFFFFF), "the last warning value");
        assertFalse(NtStatus.isSuccess(0xC0000000), "the first error-severity value");
        assertFalse(NtStatus.isSuccess(NtStatus.STATUS_CANCELLED));
        assertFalse(NtStatus.isSuccess(NtStatus.STATUS_CONNECTION_RESET));
        assertFalse(NtStatus.isSuccess(0xFFFFFFFF));
    }
}
