package dev.iocp.core.testing;

import org.junit.jupiter.api.condition.DisabledIf;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a Win32 test of a behaviour only Windows' own TCP/IP stack has: it runs natively (the windows-latest
 * workflow) and is reported as skipped under Wine, whose sockets are the Linux host's (a refused connect without
 * SYN retransmissions, ephemeral port reservation at bind, the Winsock-only socket options). Like {@link WindowsOnly}
 * (whose tag it carries, so the Wine lane lists it as skipped with this reason rather than dropping it), it is
 * skipped on a Linux JVM. Each use says in a comment what Wine would show instead.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@WindowsOnly
@DisabledIf(value = "dev.iocp.core.testing.Platform#underWine",
        disabledReason = "Wine's sockets are the Linux host's: this behaviour of Windows' own TCP/IP stack needs real"
                + " Windows (the windows-latest workflow)")
public @interface NativeWindowsOnly {
}
