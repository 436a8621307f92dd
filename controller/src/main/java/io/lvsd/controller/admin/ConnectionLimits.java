package io.lvsd.controller.admin;

import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the admin endpoint answering a scrape whatever other clients do, with memory bounded by its limits:
 * <ul>
 *   <li>at most {@code maxConnections} open at once; a new connection beyond that closes the one that has waited
 *       longest for a complete request (a slow or idle client), never the newcomer, so a scraper always gets in;</li>
 *   <li>a connection that has not sent a complete request within {@code requestTimeout} of connecting, or of its
 *       previous answer, is closed (slowloris, idle keep-alive).</li>
 * </ul>
 * Each connection holds at most a request line of 4 KiB, 8 KiB of headers and 64 KiB of body (the codec's and the
 * aggregator's limits), so the endpoint's buffers stay under {@code maxConnections} x 76 KiB. Runs on the admin loop
 * alone (one thread): the set needs no lock.
 */
@ChannelHandler.Sharable
final class ConnectionLimits extends ChannelDuplexHandler {
    /** The request line, the headers and the body one connection may hold. */
    static final int MAX_LINE = 4096;
    static final int MAX_HEADERS = 8192;
    static final int MAX_BODY = 64 * 1024;

    private int maxConnections;
    private long timeoutNanos;
    private final Counter evicted;
    private final Counter timedOut;
    /** Open connections, the one waiting longest for a request first. */
    private final LinkedHashSet<Channel> waiting = new LinkedHashSet<>();

    ConnectionLimits(int maxConnections, Duration requestTimeout, Counter evicted, Counter timedOut) {
        this.maxConnections = maxConnections;
        this.timeoutNanos = requestTimeout.toNanos();
        this.evicted = evicted;
        this.timedOut = timedOut;
    }

    /** New bounds from a reload, on the admin loop: they apply to the next connection and deadline. */
    void configure(int maxConnections, Duration requestTimeout) {
        this.maxConnections = maxConnections;
        this.timeoutNanos = requestTimeout.toNanos();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        while (waiting.size() >= maxConnections) {
            Channel oldest = waiting.iterator().next();
            waiting.remove(oldest);
            evicted.increment();
            oldest.close();
        }
        waiting.add(ctx.channel());
        arm(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        waiting.remove(ctx.channel());
        disarm(ctx);
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest) { // a whole request (the aggregator's): the deadline now is the answer's
            disarm(ctx);
            waiting.remove(ctx.channel());
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse && ctx.channel().isActive()) { // waiting for the next request again
            waiting.add(ctx.channel());
            arm(ctx);
        }
        super.write(ctx, msg, promise);
    }

    private static final io.netty.util.AttributeKey<ScheduledFuture<?>> DEADLINE =
            io.netty.util.AttributeKey.valueOf("lvsd.admin.deadline");

    private void arm(ChannelHandlerContext ctx) {
        disarm(ctx);
        ctx.channel().attr(DEADLINE).set(ctx.executor().schedule(() -> {
            if (ctx.channel().isActive()) {
                timedOut.increment();
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS));
    }

    private static void disarm(ChannelHandlerContext ctx) {
        ScheduledFuture<?> f = ctx.channel().attr(DEADLINE).getAndSet(null);
        if (f != null) {
            f.cancel(false);
        }
    }
}
