package io.lvsd.controller.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.daemon.Component;
import io.lvsd.linux.net.IpAddresses;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
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
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint (HTTP/1.1 on Netty): {@code GET /} (the status page, {@link StatusPage}),
 * {@code GET /metrics} (Prometheus text), {@code GET /status} (JSON), {@code GET /healthz}, and the runtime API ({@code POST /real-servers/...}, loopback
 * clients only). It runs on its own event loop, never the
 * VRRP one. A reload that changes {@code admin.listen} binds the new address before closing the
 * old one, so a failed bind leaves the old endpoint serving.
 */
public final class AdminServer implements Component {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** The runtime API behind {@code POST /real-servers/ACTION?service=S&real-server=IP:PORT[&weight=N]}. */
    public interface Controls {
        /**
         * Does {@code action} and says what was done; IllegalArgumentException (a parameter is wrong) and
         * NoSuchElementException (no such service or real server) carry the message for the operator.
         */
        String control(String action, String service, String realServer, String weight);
    }

    private final PrometheusMeterRegistry registry;
    private final Supplier<Object> status;
    private final Runnable onError;
    private final Controls controls;
    private EventLoopGroup group;
    private Channel channel;
    private InetSocketAddress bound;

    /**
     * @param status  produces the /status document (serialised with Jackson, snake_case)
     * @param onError counts a request that failed inside the server
     */
    public AdminServer(PrometheusMeterRegistry registry, Supplier<Object> status, Runnable onError) {
        this(registry, status, onError, null);
    }

    /** @param controls the runtime API, or null for none */
    public AdminServer(PrometheusMeterRegistry registry, Supplier<Object> status, Runnable onError, Controls controls) {
        this.registry = registry;
        this.status = status;
        this.onError = onError;
        this.controls = controls;
    }

    @Override
    public String name() {
        return "admin";
    }

    /** The address actually bound. */
    public InetSocketAddress boundAddress() {
        return bound;
    }

    @Override
    public void start(LvsdConfig config) throws Exception {
        group = new NioEventLoopGroup(1, new DefaultThreadFactory("lvsd-admin"));
        channel = bind(config.admin().listen());
    }

    @Override
    public void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
        if (next.admin().listen().equals(previous.admin().listen())) {
            return;
        }
        Channel fresh = bind(next.admin().listen());
        channel.close().syncUninterruptibly();
        channel = fresh;
    }

    @Override
    public void stop() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private Channel bind(InetSocketAddress address) throws Exception {
        try {
            Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Handler());
                        }
                    }).bind(address).sync().channel();
            bound = (InetSocketAddress) ch.localAddress();
            log.info("admin endpoint on http://{}/ (page, metrics, status, healthz)", IpAddresses.format(bound));
            return ch;
        } catch (Exception e) {
            throw new Exception("admin.listen: cannot listen on " + IpAddresses.format(address) + ": " + e.getMessage(), e);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            FullHttpResponse resp;
            QueryStringDecoder query = new QueryStringDecoder(req.uri());
            String path = query.path();
            try {
                if (path.startsWith("/real-servers/") && controls != null) {
                    resp = control(ctx, req, path.substring("/real-servers/".length()), query);
                } else if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
                    resp = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
                    resp.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                } else {
                    resp = switch (path) {
                        case "/metrics" -> respond(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                                registry.scrape());
                        case "/status" -> respond(HttpResponseStatus.OK, "application/json",
                                JSON.writeValueAsString(status.get()) + "\n");
                        case "/healthz" -> text(HttpResponseStatus.OK, "ok\n");
                        case "/" -> page(query);
                        default -> {
                            byte[] asset = StatusPage.asset(path);
                            yield asset != null ? page(respond(HttpResponseStatus.OK, StatusPage.ASSETS.get(path), asset))
                                    : text(HttpResponseStatus.NOT_FOUND, "not found; try /, /metrics, /status or /healthz\n");
                        }
                    };
                }
            } catch (Exception e) {
                log.error("admin: {} {} failed: {}", req.method(), path, e.toString());
                onError.run();
                resp = text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(resp, keepAlive);
            if (req.method().equals(HttpMethod.HEAD)) {
                resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, resp.status(), Unpooled.EMPTY_BUFFER,
                        resp.headers(), resp.trailingHeaders());
            }
            var f = ctx.writeAndFlush(resp);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        /** The runtime API: POST only, from loopback only, whatever admin.listen is. */
        private FullHttpResponse control(ChannelHandlerContext ctx, FullHttpRequest req, String action,
                                         QueryStringDecoder query) {
            if (!req.method().equals(HttpMethod.POST)) {
                FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed (expected POST)\n");
                r.headers().set(HttpHeaderNames.ALLOW, "POST");
                return r;
            }
            if (!(ctx.channel().remoteAddress() instanceof InetSocketAddress peer) || !peer.getAddress().isLoopbackAddress()) {
                return text(HttpResponseStatus.FORBIDDEN, "the runtime API answers loopback clients only\n");
            }
            java.util.function.Function<String, String> param = name -> {
                List<String> v = query.parameters().get(name);
                return v == null || v.isEmpty() ? null : v.get(0);
            };
            try {
                return text(HttpResponseStatus.OK, controls.control(action, param.apply("service"),
                        param.apply("real-server"), param.apply("weight")) + "\n");
            } catch (IllegalArgumentException e) {
                return text(HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
            } catch (java.util.NoSuchElementException e) {
                return text(HttpResponseStatus.NOT_FOUND, e.getMessage() + "\n");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("admin connection error: {}", cause.toString());
            ctx.close();
        }
    }

    /** {@code GET /}: the status page, or with {@code part=main} just its tables (the page's live update). */
    private FullHttpResponse page(QueryStringDecoder query) {
        JsonNode tree = JSON.valueToTree(status.get());
        List<StatusView.Section> sections = StatusView.of(tree);
        boolean part = "main".equals(query.parameters().getOrDefault("part", List.of("")).get(0));
        String body = part ? StatusPage.main(sections) : StatusPage.page(tree.path("director").asText(), sections);
        return page(respond(HttpResponseStatus.OK, "text/html; charset=utf-8", body));
    }

    /** The page's headers: its own style and script only, never framed, never sniffed. */
    private static FullHttpResponse page(FullHttpResponse r) {
        r.headers().set("Content-Security-Policy", StatusPage.CONTENT_SECURITY_POLICY);
        r.headers().set("X-Content-Type-Options", "nosniff");
        r.headers().set("Referrer-Policy", "no-referrer");
        return r;
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        return respond(status, "text/plain; charset=utf-8", body);
    }

    private static FullHttpResponse respond(HttpResponseStatus status, String contentType, String body) {
        return respond(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private static FullHttpResponse respond(HttpResponseStatus status, String contentType, byte[] bytes) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        return r;
    }
}
