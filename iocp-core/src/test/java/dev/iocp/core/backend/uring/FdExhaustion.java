package dev.iocp.core.backend.uring;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.stream.Stream;

/**
 * For tests on Linux: runs this process out of file descriptors for real, and gives them back. Lowers the soft
 * RLIMIT_NOFILE to just above the highest descriptor open now, then fills every free number below it with eventfds
 * until the kernel answers EMFILE; from then on every call that needs a new descriptor (accept, socket, open) fails
 * with EMFILE. {@link #release} closes some fillers; {@link #close} closes all and restores the limit.
 *
 * <p>While exhausted the JVM cannot open a file either: a test must load (and warm) everything it will touch before
 * {@link #exhaust()}, and must not create sockets or open files until {@link #release}.
 */
public final class FdExhaustion implements AutoCloseable {
    private final long savedSoft;
    private final long hard;
    private final long lowered;
    private final ArrayDeque<Integer> fillers = new ArrayDeque<>();
    private final Memory rlimit = new Memory(16);
    private boolean restored;

    private FdExhaustion(long savedSoft, long hard, long lowered) {
        this.savedSoft = savedSoft;
        this.hard = hard;
        this.lowered = lowered;
    }

    /** Exhausts the descriptor table. Always {@link #close()} it (in a finally). */
    public static FdExhaustion exhaust() throws IOException {
        int highest;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            highest = fds.mapToInt(p -> Integer.parseInt(p.getFileName().toString())).max().orElse(2);
        }
        Memory m = new Memory(16);
        if (LibC.getrlimit(LibC.RLIMIT_NOFILE, Pointer.nativeValue(m)) != 0) {
            throw new IOException("getrlimit(RLIMIT_NOFILE): " + Errno.ERRORS.describe(Native.getLastError()));
        }
        long soft = m.getLong(0);
        long hard = m.getLong(8);
        // The fd listing itself was open when listed, so highest + 1 leaves room for at least that many numbers.
        long lowered = highest + 1L;
        FdExhaustion e = new FdExhaustion(soft, hard, lowered);
        e.setSoft(lowered);
        try {
            for (int i = 0; i < lowered + 1; i++) { // bounded: there are at most `lowered` numbers to fill
                int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC);
                if (fd < 0) {
                    int errno = Native.getLastError();
                    if (errno != Errno.EMFILE) {
                        throw new IOException("eventfd while filling the descriptor table: " + Errno.ERRORS.describe(errno));
                    }
                    return e;
                }
                e.fillers.push(fd);
            }
            throw new IOException("the soft limit " + lowered + " did not take effect: never got EMFILE");
        } catch (IOException | RuntimeException failure) {
            e.close();
            throw failure;
        }
    }

    private void setSoft(long soft) throws IOException {
        rlimit.setLong(0, soft);
        rlimit.setLong(8, hard);
        if (LibC.setrlimit(LibC.RLIMIT_NOFILE, Pointer.nativeValue(rlimit)) != 0) {
            throw new IOException("setrlimit(RLIMIT_NOFILE, " + soft + "): " + Errno.ERRORS.describe(Native.getLastError()));
        }
    }

    /**
     * Fills the table again up to EMFILE: takes back whatever was released and not used, or freed meanwhile by
     * another thread of the JVM. Returns how many descriptors it took.
     */
    public int refill() throws IOException {
        int taken = 0;
        for (long i = 0; i < lowered + 1; i++) {
            int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC);
            if (fd < 0) {
                int errno = Native.getLastError();
                if (errno != Errno.EMFILE) {
                    throw new IOException("eventfd while refilling the descriptor table: " + Errno.ERRORS.describe(errno));
                }
                return taken;
            }
            fillers.push(fd);
            taken++;
        }
        throw new IOException("refill never got EMFILE");
    }

    /** Descriptors held by the fillers right now. */
    public int fillers() {
        return fillers.size();
    }

    /** The soft limit while exhausted. */
    public long lowered() {
        return lowered;
    }

    /** Gives {@code n} descriptors back (the limit stays lowered). */
    public void release(int n) {
        for (int i = 0; i < n && !fillers.isEmpty(); i++) {
            LibC.close(fillers.pop());
        }
    }

    /** Closes every filler and restores the soft limit. Idempotent. */
    @Override
    public void close() throws IOException {
        release(Integer.MAX_VALUE);
        if (!restored) {
            restored = true;
            setSoft(savedSoft);
        }
    }

    @Override
    public String toString() {
        return "FdExhaustion[soft limit " + lowered + " (was " + savedSoft + "), " + fillers.size() + " fillers]";
    }
}
