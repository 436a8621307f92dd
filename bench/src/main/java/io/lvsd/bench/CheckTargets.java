package io.lvsd.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * The real servers of the health-check benchmark: TCP ports that accept and close, HTTP ports that answer 200.
 * Bound to 0.0.0.0, so every 127.x.y.z of the namespace's loopback reaches them: 100 addresses x 100 ports make
 * 10,000 distinct real servers from 100 sockets.
 *
 * <pre>java io.lvsd.bench.CheckTargets TCP_FIRST_PORT TCP_PORTS HTTP_FIRST_PORT HTTP_PORTS</pre>
 */
public final class CheckTargets {
    public static void main(String[] args) throws Exception {
        int tcpFirst = Integer.parseInt(args[0]);
        int tcpPorts = Integer.parseInt(args[1]);
        int httpFirst = Integer.parseInt(args[2]);
        int httpPorts = Integer.parseInt(args[3]);
        NioEventLoopGroup group = new NioEventLoopGroup(2);
        byte[] ok = "ok\n".getBytes(StandardCharsets.US_ASCII);
        ServerBootstrap tcp = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new CloseAtOnce()).option(io.netty.channel.ChannelOption.SO_BACKLOG, 4096);
        ServerBootstrap http = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(io.netty.channel.ChannelOption.SO_BACKLOG, 4096)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        CONNECTIONS.increment();
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(4096),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.OK, Unpooled.wrappedBuffer(ok));
                                        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, ok.length);
                                        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
                                    }
                                });
                    }
                });
        for (int p = tcpFirst; p < tcpFirst + tcpPorts; p++) {
            tcp.bind("0.0.0.0", p).sync();
        }
        for (int p = httpFirst; p < httpFirst + httpPorts; p++) {
            http.bind("0.0.0.0", p).sync();
        }
        System.out.println("check targets: " + tcpPorts + " TCP ports from " + tcpFirst + ", " + httpPorts
                + " HTTP ports from " + httpFirst);
        // The probes every checker under test made, as these servers saw them: one line a second.
        while (true) {
            Thread.sleep(1000);
            System.out.println("connections " + CONNECTIONS.sum());
        }
    }

    static final java.util.concurrent.atomic.LongAdder CONNECTIONS = new java.util.concurrent.atomic.LongAdder();

    /** Accepts and closes: one instance for every connection. */
    @io.netty.channel.ChannelHandler.Sharable
    static final class CloseAtOnce extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            CONNECTIONS.increment();
            ctx.close();
        }
    }
}
