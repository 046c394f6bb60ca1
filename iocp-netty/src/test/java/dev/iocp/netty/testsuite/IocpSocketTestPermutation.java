package dev.iocp.netty.testsuite;

import dev.iocp.netty.IocpDatagramChannel;
import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import dev.iocp.netty.IocpSocketChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketTestPermutation;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Netty's socket test permutations with our channels in them: iocp server × iocp client, iocp × NIO, NIO × iocp
 * (NIO × NIO is Netty's own business). The iocp group runs on the platform's default backend: io_uring on Linux,
 * a completion port on Windows (and under Wine). Tests of one side only (client or server) run on iocp only.
 */
public class IocpSocketTestPermutation extends SocketTestPermutation {
    public static final IocpSocketTestPermutation INSTANCE = new IocpSocketTestPermutation();

    static final EventLoopGroup IOCP_BOSS = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("testsuite-iocp-boss", true), IocpIoHandler.newFactory());
    static final EventLoopGroup IOCP_WORKERS = new MultiThreadIoEventLoopGroup(
            NUM_THREADS, new DefaultThreadFactory("testsuite-iocp-worker", true), IocpIoHandler.newFactory());

    private BootstrapFactory<ServerBootstrap> iocpServer() {
        return () -> new ServerBootstrap().group(IOCP_BOSS, IOCP_WORKERS).channel(IocpServerSocketChannel.class);
    }

    private BootstrapFactory<ServerBootstrap> nioServer() {
        return () -> new ServerBootstrap().group(NIO_GROUP).channel(NioServerSocketChannel.class);
    }

    private BootstrapFactory<Bootstrap> iocpClient() {
        return () -> new Bootstrap().group(IOCP_WORKERS).channel(IocpSocketChannel.class);
    }

    private BootstrapFactory<Bootstrap> nioClient() {
        return () -> new Bootstrap().group(NIO_GROUP).channel(NioSocketChannel.class);
    }

    @Override
    public List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> socket() {
        List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> list = new ArrayList<>();
        list.addAll(combo(List.of(iocpServer()), List.of(iocpClient(), nioClient())));
        list.addAll(combo(List.of(nioServer()), List.of(iocpClient())));
        return list;
    }

    /** iocp × iocp only: where Netty's NIO cannot run (a Windows JVM under Wine, see win-tests' Netty suite). */
    public List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> iocpOnly() {
        return combo(List.of(iocpServer()), List.of(iocpClient()));
    }

    private BootstrapFactory<Bootstrap> iocpDatagram(SocketProtocolFamily family) {
        return () -> new Bootstrap().group(IOCP_WORKERS).channelFactory(new ChannelFactory<Channel>() {
            @Override
            public Channel newChannel() {
                return new IocpDatagramChannel(family);
            }

            @Override
            public String toString() {
                return "IocpDatagramChannel(" + family + ")";
            }
        });
    }

    private BootstrapFactory<Bootstrap> nioDatagram(SocketProtocolFamily family) {
        return () -> new Bootstrap().group(NIO_GROUP).channelFactory(new ChannelFactory<Channel>() {
            @Override
            public Channel newChannel() {
                return new NioDatagramChannel(family);
            }

            @Override
            public String toString() {
                return "NioDatagramChannel(" + family + ")";
            }
        });
    }

    /**
     * Datagrams: iocp × iocp, iocp × NIO, NIO × iocp (the first bootstrap of a pair is the "server"). Under Wine iocp ×
     * iocp only: there the JDK's own NIO DatagramChannel cannot disconnect (its repairSocket rebind fails with
     * "Invalid argument: bind" under Wine 10, measured in testSimpleSendWithConnect, one case per family), which is
     * Wine's limit on NIO, not iocp's; windows-latest runs all three pairings.
     */
    @Override
    public List<BootstrapComboFactory<Bootstrap, Bootstrap>> datagram(SocketProtocolFamily family) {
        if (dev.iocp.core.testing.Platform.underWine()) {
            return combo(List.of(iocpDatagram(family)), List.of(iocpDatagram(family)));
        }
        List<BootstrapComboFactory<Bootstrap, Bootstrap>> list = new ArrayList<>();
        list.addAll(combo(List.of(iocpDatagram(family)), List.of(iocpDatagram(family), nioDatagram(family))));
        list.addAll(combo(List.of(nioDatagram(family)), List.of(iocpDatagram(family))));
        return list;
    }

    @Override
    public List<BootstrapFactory<Bootstrap>> datagramSocket() {
        return List.of(() -> new Bootstrap().group(IOCP_WORKERS).channel(IocpDatagramChannel.class));
    }

    @Override
    public List<BootstrapFactory<ServerBootstrap>> serverSocket() {
        return List.of(iocpServer());
    }

    @Override
    public List<BootstrapFactory<Bootstrap>> clientSocket() {
        return List.of(iocpClient());
    }
}
