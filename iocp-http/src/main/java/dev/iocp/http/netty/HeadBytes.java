package dev.iocp.http.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Counts the bytes a connection received, before the codec sees them. When the request-head deadline passes, the
 * route handler compares the count with the one it noted when it began waiting: more means part of a head came
 * (a slow sender: 408), none means the connection was idle (closed without a word). The codec itself does not say
 * whether it holds part of a message.
 */
final class HeadBytes extends ChannelInboundHandlerAdapter {
    private long received;

    long received() {
        return received;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            received += buf.readableBytes();
        }
        ctx.fireChannelRead(msg);
    }
}
