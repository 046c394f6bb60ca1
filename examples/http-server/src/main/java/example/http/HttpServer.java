package example.http;

import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/1.1 server on Netty, its event loop and channels from iocp-netty: {@code GET /hello} answers a greeting,
 * {@code POST /echo} answers the request's body, anything else 404. Keep-alive is honoured.
 *
 * <p>Usage: {@code HttpServer [HOST [PORT]]} (default 127.0.0.1, 8080; port 0 picks a free one). It prints
 * {@code listening on HOST:PORT}, serves until its standard input ends, then closes and prints {@code stopped}.
 */
public final class HttpServer {

    static final byte[] GREETING = "hello from iocp-netty\n".getBytes(StandardCharsets.US_ASCII);

    private HttpServer() {}

    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8080;

        // The only iocp-specific lines: the IoHandler factory and the server channel class.
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(IocpIoHandler.newFactory());
        try {
            Channel listener = new ServerBootstrap()
                    .group(group)
                    .channel(IocpServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                    new Routes());
                        }
                    })
                    .bind(new InetSocketAddress(host, port)).sync().channel();
            InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
            System.out.println("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort());

            // Serve until whoever started us closes our standard input (works the same on every OS).
            while (System.in.read() != -1) {
                // input is only a stop signal
            }
            listener.close().sync();
            System.out.println("stopped");
        } finally {
            group.shutdownGracefully().sync();
        }
    }

    /** The two routes. The aggregator above hands over whole requests. */
    private static final class Routes extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response;
            if (request.method().equals(HttpMethod.GET) && request.uri().equals("/hello")) {
                response = ok(request, Unpooled.wrappedBuffer(GREETING), HttpHeaderValues.TEXT_PLAIN);
            } else if (request.method().equals(HttpMethod.POST) && request.uri().equals("/echo")) {
                // The request is released when this method returns: the response keeps its own reference.
                response = ok(request, request.content().retainedDuplicate(),
                        HttpHeaderValues.APPLICATION_OCTET_STREAM);
            } else {
                response = new DefaultFullHttpResponse(request.protocolVersion(), HttpResponseStatus.NOT_FOUND,
                        Unpooled.EMPTY_BUFFER);
                HttpUtil.setContentLength(response, 0);
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static FullHttpResponse ok(FullHttpRequest request, ByteBuf body, CharSequence contentType) {
            FullHttpResponse response =
                    new DefaultFullHttpResponse(request.protocolVersion(), HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
            HttpUtil.setContentLength(response, body.readableBytes());
            return response;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            System.err.println("connection " + ctx.channel().remoteAddress() + ": " + cause);
            ctx.close();
        }
    }
}
