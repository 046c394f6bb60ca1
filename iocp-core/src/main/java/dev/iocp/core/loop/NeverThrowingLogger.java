package dev.iocp.core.loop;

import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A logger for the catch blocks of a loop thread: none of its calls throws. A catch block that logs through an
 * ordinary logger can itself throw — and then kill the loop thread it was protecting. Measured: a process out of
 * descriptors logs its first accept failure; java.util.logging's formatter loads the time-zone database for the
 * timestamp, which needs a descriptor; {@code NoClassDefFoundError: Could not initialize class
 * sun.util.calendar.ZoneInfoFile} escapes the catch, and the loop thread is gone. Any logging back-end can do the
 * like (a full disk, a message's {@code toString()} that throws, a deep stack, no heap).
 *
 * <p>A line the logger fails to write is replaced by a short fixed line on {@code System.err} (which needs no new
 * descriptor and swallows its own I/O errors), also guarded, and counted ({@link #linesLost()}).
 */
public final class NeverThrowingLogger {
    private static final AtomicLong LINES_LOST = new AtomicLong();

    static {
        // The one pre-load: the time-zone database, read from a file (tzdb.dat) on first use, which every logger
        // that stamps local time needs. Its loading is a class initialisation; if it fails for want of a
        // descriptor, the JVM never retries it, and every later log line of the process throws
        // NoClassDefFoundError (measured). Other lazy loads retry, and the listeners' spare descriptor gives them
        // one when the process runs out (IocpServer, IocpServerSocketChannel); this one must not fail even once.
        try {
            java.time.ZoneId.systemDefault().getRules();
            java.util.TimeZone.getDefault();
        } catch (Throwable t) {
            // Nothing to do: the loggers will say what fails, through this class.
        }
    }

    private final InternalLogger logger;

    private NeverThrowingLogger(InternalLogger logger) {
        this.logger = logger;
    }

    /**
     * {@return a logger named after {@code type}}
     *
     * @param type the class that logs
     */
    public static NeverThrowingLogger of(Class<?> type) {
        return new NeverThrowingLogger(InternalLoggerFactory.getInstance(type));
    }

    /** {@return log lines, over the whole process, that the logging back-end failed to write} */
    public static long linesLost() {
        return LINES_LOST.get();
    }

    /**
     * Logs at DEBUG, as {@link InternalLogger#debug(String, Object...)} (a last argument that is a Throwable is its
     * stack trace).
     *
     * @param format the message, with {} placeholders
     * @param arguments the values
     */
    public void debug(String format, Object... arguments) {
        try {
            logger.debug(format, arguments);
        } catch (Throwable t) {
            lost(format, t);
        }
    }

    /**
     * Logs at INFO.
     *
     * @param format the message, with {} placeholders
     * @param arguments the values
     */
    public void info(String format, Object... arguments) {
        try {
            logger.info(format, arguments);
        } catch (Throwable t) {
            lost(format, t);
        }
    }

    /**
     * Logs at WARN.
     *
     * @param format the message, with {} placeholders
     * @param arguments the values
     */
    public void warn(String format, Object... arguments) {
        try {
            logger.warn(format, arguments);
        } catch (Throwable t) {
            lost(format, t);
        }
    }

    /**
     * Logs at ERROR.
     *
     * @param format the message, with {} placeholders
     * @param arguments the values
     */
    public void error(String format, Object... arguments) {
        try {
            logger.error(format, arguments);
        } catch (Throwable t) {
            lost(format, t);
        }
    }

    /** {@return whether DEBUG is on (false if the back-end cannot say)} */
    public boolean isDebugEnabled() {
        try {
            return logger.isDebugEnabled();
        } catch (Throwable t) {
            return false;
        }
    }

    private void lost(String format, Throwable cause) {
        LINES_LOST.incrementAndGet();
        try {
            // The unformatted pattern only: formatting calls the arguments' toString(), which may be what threw.
            System.err.println(logger.name() + ": a log line could not be written (" + cause.getClass().getName()
                    + "): " + format);
        } catch (Throwable ignored) {
            // Nothing is left to tell; the count above says a line was lost.
        }
    }
}
