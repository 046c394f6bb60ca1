package dev.iocp.core.testing;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test that exercises the real Win32 backend. On a Linux JVM it is reported as skipped ("Disabled on
 * operating system: ..."), never silently dropped; the Wine lane selects these by the {@value #TAG} tag and runs
 * them on a Windows JVM; the windows-latest workflow runs them natively.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@EnabledOnOs(value = OS.WINDOWS, disabledReason = "needs the Win32 backend: run through the Wine lane or on Windows")
@Tag(WindowsOnly.TAG)
public @interface WindowsOnly {
    String TAG = "win32";
}
