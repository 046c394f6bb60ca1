package dev.iocp.cli;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import dev.iocp.race.EchoProtocol;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Test-only (in the CLI's tests jar, never in the CLI): {@code iocp echo} as {@link EchoCommand} serves it, with a
 * fault a test can trigger from outside the process, and each connection's end reported on stderr so the outside
 * check can see its cause. Run by scripts/fault_probe_check.py as
 * {@code java -cp iocp-cli.jar:iocp-cli-tests.jar dev.iocp.cli.FaultProbeServer [--api native|netty]}.
 *
 * <ul>
 *   <li>A message starting with {@code RECURSE} makes the handler recurse until the stack overflows, inside the
 *       loop's dispatch (native: {@code dataReceived}; Netty: {@code channelRead}).</li>
 *   <li>A message starting with {@code BLOCK} blocks the loop thread for good (native only): the negative control
 *       of the outside check, a loop that serves nothing any more.</li>
 *   <li>Every other message is echoed as {@link EchoProtocol} does (native) or written back (Netty).</li>
 *   <li>Each native connection's end prints {@code lost: <cause class>: <message>} ({@code lost: clean} without a
 *       cause).</li>
 * </ul>
 */
public final class FaultProbeServer {
    private FaultProbeServer() {}

    public static void main(String[] args) throws Exception {
        String api = args.length >= 2 && args[0].equals("--api") ? args[1] : "native";
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0);
        CountDownLatch forever = new CountDownLatch(1);
        if (api.equals("netty")) {
            MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, IocpIoHandler.newFactory());
            Channel ch = new ServerBootstrap().group(group).channel(IocpServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(new RecursingNettyEcho());
                        }
                    }).bind(address).sync().channel();
            InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
            System.out.println("listening on 127.0.0.1:" + bound.getPort() + " (api netty)");
        } else {
            IocpEventLoopGroup group = new IocpEventLoopGroup(1);
            Server server = Transports.listen(group, address, RecursingEcho::new).get(30, TimeUnit.SECONDS);
            server.onAcceptError(new AcceptErrorReporter(System.err));
            System.out.println("listening on 127.0.0.1:" + server.localAddress().getPort() + " (api native)");
        }
        System.out.flush();
        forever.await();
    }

    static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    static boolean isRecurse(ByteBuffer data) {
        return startsWith(data, "RECURSE");
    }

    static boolean startsWith(ByteBuffer data, String prefix) {
        byte[] head = prefix.getBytes(StandardCharsets.US_ASCII);
        if (data.remaining() < head.length) {
            return false;
        }
        for (int i = 0; i < head.length; i++) {
            if (data.get(data.position() + i) != head[i]) {
                return false;
            }
        }
        return true;
    }

    /** EchoProtocol, plus the fault and the report of each end. */
    static final class RecursingEcho implements Protocol {
        private final EchoProtocol echo = new EchoProtocol();

        @Override
        public void connectionMade(Transport t) {
            echo.connectionMade(t);
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            if (isRecurse(data)) {
                recurse(0);
            }
            if (startsWith(data, "BLOCK")) {
                for (;;) {
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException ignored) {
                        // blocked for good, on purpose
                    }
                }
            }
            echo.dataReceived(data);
        }

        @Override
        public boolean eofReceived() {
            return echo.eofReceived();
        }

        @Override
        public void pauseWriting() {
            echo.pauseWriting();
        }

        @Override
        public void resumeWriting() {
            echo.resumeWriting();
        }

        @Override
        public void connectionLost(Throwable cause) {
            System.err.println(cause == null ? "lost: clean" : "lost: " + cause.getClass().getName() + ": "
                    + cause.getMessage());
            echo.connectionLost(cause);
        }
    }

    /** Netty's side: writes back what it reads; recurses on RECURSE. */
    static final class RecursingNettyEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            if (isRecurse(buf.nioBuffer())) {
                buf.release();
                recurse(0);
            }
            ctx.writeAndFlush(buf);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            System.err.println("lost: " + cause.getClass().getName() + ": " + cause.getMessage());
            ctx.close();
        }
    }
}
