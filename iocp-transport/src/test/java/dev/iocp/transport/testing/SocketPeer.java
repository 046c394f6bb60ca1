package dev.iocp.transport.testing;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/** A peer on a plain blocking {@link Socket}: real loopback, code that shares nothing with ours. */
public final class SocketPeer implements Peer {
    private final Socket socket;
    private final InputStream in;

    public SocketPeer(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    public static SocketPeer connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        // A fixed, modest window (set before connect, so it is what the handshake advertises): a peer that stops
        // reading then stops the writer after ~64 KiB instead of after the many MiB autotuning would allow.
        s.setReceiveBufferSize(64 * 1024);
        s.connect(address, 10_000);
        return new SocketPeer(s);
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void write(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    @Override
    public byte[] readExactly(int n, long timeoutMillis) throws IOException {
        byte[] out = new byte[n];
        long deadline = System.currentTimeMillis() + timeoutMillis;
        int got = 0;
        while (got < n) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("peer received " + got + " of " + n + " bytes within " + timeoutMillis + " ms");
            }
            socket.setSoTimeout((int) Math.max(1, left));
            int r;
            try {
                r = in.read(out, got, n - got);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (r < 0) {
                throw new EOFException("peer got EOF after " + got + " of " + n + " bytes");
            }
            got += r;
        }
        return out;
    }

    @Override
    public Ending awaitEnding(long timeoutMillis) throws IOException {
        return drainToEnd(timeoutMillis).ending();
    }

    @Override
    public Drained drainToEnd(long timeoutMillis) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        for (;;) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return new Drained(total, Ending.NONE);
            }
            socket.setSoTimeout((int) Math.max(1, left));
            try {
                int r = in.read(buf);
                if (r < 0) {
                    return new Drained(total, Ending.FIN);
                }
                total += r;
            } catch (SocketTimeoutException e) {
                return new Drained(total, Ending.NONE);
            } catch (SocketException e) {
                // "Connection reset" (and, on Windows, "An existing connection was forcibly closed").
                return new Drained(total, Ending.RESET);
            }
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }
}
