package io.lvsd.healthcheck;

import io.netty.channel.ChannelInboundHandlerAdapter;

/** {@code tcp}: up when the connection is accepted; closed at once. */
public final class TcpChecker implements Checker {
    @Override
    public void probe(ProbeContext ctx) {
        ctx.transport().connect(ctx, false, new ChannelInboundHandlerAdapter(), ch -> ctx.up("connected"));
    }
}
