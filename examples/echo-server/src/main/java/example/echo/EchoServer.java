package example.echo;

import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.Transports;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * An echo server on iocp's Transport/Protocol API: every byte a client sends comes back, in order; a client's FIN
 * ends its connection once the echo is flushed; a client that reads slower than it sends is not read from until it
 * catches up.
 *
 * <p>Usage: {@code EchoServer [HOST [PORT]]} (default 127.0.0.1, 8080; port 0 picks a free one). It prints
 * {@code listening on HOST:PORT (backend NAME)}, serves until its standard input ends, then closes and prints
 * {@code stopped after N connections}. {@code -Diocp.backend=win32|io_uring|simulated} overrides the platform's
 * backend.
 */
public final class EchoServer {

    private EchoServer() {}

    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8080;

        IocpEventLoopGroup group = new IocpEventLoopGroup();   // one loop (one completion port) per core
        try {
            Server server = Transports.listen(group, new InetSocketAddress(host, port), Echo::new).get();
            InetSocketAddress bound = server.localAddress();
            IocpEventLoop loop = group.next();
            String backend = loop.submit(() -> loop.backend().name()).get();   // a loop's backend is the loop's own
            System.out.println("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort()
                    + " (backend " + backend + ")");

            // Serve until whoever started us closes our standard input: a stop signal that works the same on
            // every OS, Wine included.
            while (System.in.read() != -1) {
                // input is only a stop signal; its bytes mean nothing
            }
            server.close().sync();   // stop accepting; connections still open end with the loops below
            System.out.println("stopped after " + server.acceptedCount() + " connections");
        } finally {
            group.shutdownGracefully().sync();
        }
    }

    /** One per connection; every callback runs on the connection's loop thread. */
    private static final class Echo implements Protocol {
        private Transport transport;

        @Override
        public void connectionMade(Transport transport) {
            this.transport = transport;
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            transport.write(data);   // copied now: `data` is only valid during this call
        }

        // Flow control: while the client does not read our echo, stop reading what it sends.
        @Override
        public void pauseWriting() {
            transport.pauseReading();
        }

        @Override
        public void resumeWriting() {
            transport.resumeReading();
        }

        @Override
        public boolean eofReceived() {
            return false;   // the client's FIN: flush what is queued, then close
        }

        @Override
        public void connectionLost(Throwable cause) {
            // exactly once, last: nothing of ours to release
        }
    }
}
