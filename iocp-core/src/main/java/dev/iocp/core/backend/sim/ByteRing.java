package dev.iocp.core.backend.sim;

import io.netty.util.internal.PlatformDependent;

/** A growable FIFO of bytes: a simulated socket's receive buffer. No allocation once it has grown to size. */
final class ByteRing {
    private byte[] data = new byte[4096];
    private int head;
    private int size;

    int size() {
        return size;
    }

    void write(byte[] src, int off, int len) {
        ensure(len);
        for (int done = 0; done < len; ) {
            int tail = (head + size) % data.length;
            int n = Math.min(len - done, data.length - tail);
            System.arraycopy(src, off + done, data, tail, n);
            size += n;
            done += n;
        }
    }

    /** Appends {@code len} bytes read from native memory. */
    void writeFromNative(long address, int len) {
        ensure(len);
        for (int done = 0; done < len; ) {
            int tail = (head + size) % data.length;
            int n = Math.min(len - done, data.length - tail);
            PlatformDependent.copyMemory(address + done, data, tail, n);
            size += n;
            done += n;
        }
    }

    /** Moves up to {@code len} bytes into native memory; returns how many. */
    int readToNative(long address, int len) {
        int total = Math.min(len, size);
        for (int done = 0; done < total; ) {
            int n = Math.min(total - done, data.length - head);
            PlatformDependent.copyMemory(data, head, address + done, n);
            head = (head + n) % data.length;
            size -= n;
            done += n;
        }
        return total;
    }

    byte[] readAll() {
        byte[] out = new byte[size];
        for (int done = 0; done < out.length; ) {
            int n = Math.min(out.length - done, data.length - head);
            System.arraycopy(data, head, out, done, n);
            head = (head + n) % data.length;
            size -= n;
            done += n;
        }
        return out;
    }

    void clear() {
        head = 0;
        size = 0;
    }

    private void ensure(int extra) {
        if (size + extra <= data.length) {
            return;
        }
        int cap = data.length;
        while (cap < size + extra) {
            cap <<= 1;
        }
        byte[] grown = new byte[cap];
        for (int done = 0; done < size; ) {
            int n = Math.min(size - done, data.length - ((head + done) % data.length));
            System.arraycopy(data, (head + done) % data.length, grown, done, n);
            done += n;
        }
        data = grown;
        head = 0;
    }
}
