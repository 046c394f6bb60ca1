package dev.iocp.http.netty;

import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.Route;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.DateFormatter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Date;
import java.util.concurrent.TimeUnit;

/**
 * The routes of {@link Route}, served from the messages of Netty's HTTP codec on one connection. It is the same
 * design as the native server's connection, in Netty's terms:
 * <ul>
 *   <li><b>One demand at a time.</b> Auto-read is off and {@link io.netty.handler.flow.FlowControlHandler} sits in
 *       front: each {@code ctx.read()} brings at most one message (a request head, a body piece, its end). The
 *       handler asks for the next one only when it {@link #canProceed can proceed} — the channel is writable and no
 *       response is still being produced for a request already read. So requests are answered one at a time, in
 *       order, and a peer that does not read our responses stops being read.</li>
 *   <li><b>Streaming.</b> {@code /bytes/N} writes pieces while the channel is writable and goes on at
 *       {@link #channelWritabilityChanged}; {@code /echo} writes each body piece as it comes.</li>
 *   <li><b>Closing.</b> After a {@code Connection: close} response (or a refusal) the channel is closed once the
 *       response is flushed; iocp-netty's close then drains what the peer pipelined behind it instead of resetting.</li>
 * </ul>
 * The codec's own rules decide what is malformed (its decoder result); this handler adds the limits (431 from the
 * codec's too-long line and header errors, 413 for a body), HTTP/1.1's Host rule, Expect, and the timeout of
 * {@link HttpServerConfig#timeoutMillis()}.
 */
final class RouteHandler extends ChannelInboundHandlerAdapter {
    private static final int PIECE = Route.Pattern.PIECE;
    private static final InternalLogger LOG = InternalLoggerFactory.getInstance(RouteHandler.class);

    private final HttpServerConfig config;
    private final HeadBytes bytesIn;
    private ChannelHandlerContext ctx;

    /** The route being served; null between requests. */
    private Route route;
    private boolean keepAlive;
    private boolean requestEnded;
    private boolean responseEnded;
    private boolean responseStarted;
    private long bytesLeft;
    private long bodyBytes;
    private boolean chunkedRequest;

    /** The version of the request being answered (a 1.0 peer that asked for keep-alive must hear it granted). */
    private HttpVersion version = HttpVersion.HTTP_1_1;

    /** A read() was issued and its message has not come yet. */
    private boolean demand;
    /** {@link #askForMore} is running: a read() it issues may deliver a message at once, inside it. */
    private boolean asking;
    private boolean closing;

    private boolean awaitingHead;
    private long headMark;
    private long deadlineNanos;
    private ScheduledFuture<?> timer;

    RouteHandler(HttpServerConfig config, HeadBytes bytesIn) {
        this.config = config;
        this.bytesIn = bytesIn;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        awaitHead();
        askForMore();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        if (timer != null) {
            timer.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset or another failure of this connection: nothing to answer; the others are not affected.
        LOG.debug("{}: aborted after {}", ctx.channel(), cause.toString(), cause);
        abort();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        demand = false;
        try {
            if (closing) {
                return;
            }
            if (msg instanceof HttpRequest request) {
                onHead(request);
            } else if (msg instanceof HttpContent content) {
                onBody(content);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
        askForMore();
    }

    /**
     * The read batch ended. A read() is answered by messages or by this (the flow-control handler counts a batch
     * that decoded nothing whole — part of a head, say — as the answer): if no message came, ask again.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        demand = false;
        askForMore();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !closing) {
            progress();
            if (route instanceof Route.Bytes) {
                produce();
            }
            askForMore();
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ---- the rule ----

    private boolean canProceed() {
        return !closing && ctx.channel().isWritable() && !(requestEnded && route != null);
    }

    /**
     * Issues read() while the handler can proceed and no message is on its way. A message the flow-control handler
     * already holds is delivered inside that read(): the channelRead it runs calls back here, and returns at once,
     * so that this loop — not a recursion as deep as the requests pipelined in one buffer — asks for the next.
     */
    private void askForMore() {
        if (asking) {
            return;
        }
        asking = true;
        try {
            while (!demand && canProceed()) {
                demand = true;
                ctx.read();
            }
        } finally {
            asking = false;
        }
    }

    // ---- requests ----

    private void onHead(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            boolean tooLong = cause instanceof TooLongHttpLineException || cause instanceof TooLongHttpHeaderException;
            refuse(tooLong ? 431 : 400, String.valueOf(cause.getMessage()));
            return;
        }
        version = request.protocolVersion();
        if (version.majorVersion() != 1) {
            refuse(505, version + " is not served here (HTTP/1.0 and 1.1 are)");
            return;
        }
        HttpHeaders headers = request.headers();
        int hosts = headers.getAll(HttpHeaderNames.HOST).size();
        if (version.minorVersion() >= 1 ? hosts != 1 : hosts > 1) {
            refuse(400, hosts == 0 ? "HTTP/1.1 request without Host" : "more than one Host field");
            return;
        }
        long length = HttpUtil.getContentLength(request, -1L);
        if (length > config.maxBodyBytes()) {
            refuse(413, "Content-Length " + length + " is more than " + config.maxBodyBytes());
            return;
        }
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        if (chunked && version.minorVersion() == 0) {
            refuse(400, "Transfer-Encoding on an HTTP/1.0 request"); // and no chunked answer could reach it
            return;
        }
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null && version.minorVersion() >= 1) {
            if (!expect.equalsIgnoreCase("100-continue")) {
                refuse(417, "unsupported expectation: " + expect);
                return;
            }
            if (chunked || length > 0) { // the limits passed: let the peer send its body
                ctx.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
            }
        }
        String path = Route.pathOf(request.uri());
        if (path == null) {
            refuse(400, "request target is neither a path nor an absolute URI: " + request.uri());
            return;
        }
        awaitingHead = false;
        progress();
        keepAlive = HttpUtil.isKeepAlive(request);
        chunkedRequest = chunked;
        requestEnded = false;
        responseEnded = false;
        responseStarted = false;
        bodyBytes = 0;
        route = Route.of(request.method().name(), path);
        if (route instanceof Route.Plaintext) {
            complete(200, "text/plain", Route.HELLO, null);
        } else if (route instanceof Route.Bytes bytes) {
            bytesLeft = bytes.count();
            ctx.write(head(200, "application/octet-stream", bytesLeft, version));
            produce();
        } else if (route instanceof Route.File file) {
            sendFile(file.count(), version);
        } else if (route instanceof Route.Echo) {
            String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
            ctx.write(head(200, type != null ? type : "application/octet-stream",
                    chunkedRequest ? -1 : Math.max(0, length), version));
        } else {
            Route.Refusal refusal = (Route.Refusal) route;
            complete(refusal.status(), "text/plain; charset=utf-8",
                    (refusal.message() + "\n").getBytes(StandardCharsets.UTF_8), refusal.allow());
        }
        if (request instanceof LastHttpContent) { // a full message (the codec's own; not with the settings here)
            onBody((LastHttpContent) request);
        } else {
            ctx.flush();
        }
    }

    private void onBody(HttpContent content) {
        if (route == null) {
            return; // the rest of a request already refused
        }
        progress();
        int n = content.content().readableBytes();
        bodyBytes += n;
        if (bodyBytes > config.maxBodyBytes()) { // only a chunked body gets here: a declared length was checked
            ctx.flush();
            close(); // the response is under way: it cannot become a 413 any more
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (route instanceof Route.Echo) {
            if (n > 0) {
                ctx.write(new DefaultHttpContent(content.content().retain()));
            }
            if (last) {
                ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
                responseEnded = true;
            }
            ctx.flush();
        }
        if (last) {
            requestEnded = true;
            finishIfDone();
        }
    }

    /**
     * {@code /file/N}: the file as one {@link DefaultFileRegion}, as frameworks serve static files on plain HTTP; the
     * channel sends it (zero-copy where the transport can) and its outbound buffer holds it meanwhile.
     */
    private void sendFile(long count, HttpVersion version) {
        Path file;
        try {
            file = Route.PatternFiles.of(count);
        } catch (IOException e) {
            complete(500, "text/plain; charset=utf-8", ("cannot make the file: " + e + "\n").getBytes(StandardCharsets.UTF_8), null);
            return;
        }
        ctx.write(head(200, "application/octet-stream", count, version));
        if (count > 0) {
            ctx.write(new DefaultFileRegion(file.toFile(), 0, count));
        }
        ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
        responseEnded = true;
    }

    /** {@code /bytes/N}: pieces while the channel is writable, the rest after writability comes back. */
    private void produce() {
        byte[] piece = Route.Pattern.piece();
        while (bytesLeft > 0 && ctx.channel().isWritable()) {
            int n = (int) Math.min(bytesLeft, PIECE);
            ByteBuf buf = ctx.alloc().buffer(n).writeBytes(piece, 0, n);
            ctx.write(new DefaultHttpContent(buf));
            bytesLeft -= n;
        }
        if (bytesLeft == 0 && !responseEnded) {
            ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
            responseEnded = true;
        }
        ctx.flush();
        finishIfDone();
    }

    private void finishIfDone() {
        if (route == null || !requestEnded || !responseEnded) {
            return;
        }
        route = null;
        if (keepAlive) {
            awaitHead();
            askForMore();
        } else {
            close();
        }
    }

    // ---- responses ----

    /** A response head; {@code length} -1: chunked. */
    private HttpResponse head(int status, String type, long length, HttpVersion requestVersion) {
        responseStarted = true;
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        HttpHeaders h = response.headers();
        h.set(HttpHeaderNames.DATE, DateFormatter.format(new Date()));
        h.set(HttpHeaderNames.CONTENT_TYPE, type);
        if (length < 0) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else {
            h.set(HttpHeaderNames.CONTENT_LENGTH, length);
        }
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (requestVersion.minorVersion() == 0) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return response;
    }

    private void complete(int status, String type, byte[] body, String allow) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body));
        HttpResponse h = head(status, type, body.length, version);
        response.headers().set(h.headers());
        if (allow != null) {
            response.headers().set(HttpHeaderNames.ALLOW, allow);
        }
        ctx.write(response);
        responseEnded = true;
    }

    /** A protocol error or a limit: answered if no response started, then the connection closes. */
    private void refuse(int status, String message) {
        if (!responseStarted || route == null) {
            keepAlive = false;
            complete(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8), null);
        }
        close();
    }

    /** Graceful: after what was written is flushed. */
    private void close() {
        closing = true;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /** Abortive: a reset, nothing more flushed. */
    private void abort() {
        closing = true;
        if (ctx.channel().isActive()) {
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
        }
        ctx.close();
    }

    // ---- the deadline (the same rule as the native server's: HttpServerConfig#timeoutMillis) ----

    private void awaitHead() {
        awaitingHead = true;
        headMark = bytesIn.received();
        setDeadline();
    }

    private void progress() {
        if (!awaitingHead) {
            setDeadline();
        }
    }

    private void setDeadline() {
        deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        if (timer == null) {
            timer = ctx.executor().schedule(this::onTimer, config.timeoutMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void onTimer() {
        timer = null;
        if (closing) {
            return;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            timer = ctx.executor().schedule(this::onTimer, left, TimeUnit.NANOSECONDS);
            return;
        }
        if (awaitingHead && bytesIn.received() > headMark) {
            refuse(408, "the request head did not arrive within " + config.timeoutMillis() + " ms");
        } else if (awaitingHead) {
            close();
        } else {
            abort();
        }
    }
}
