package io.lvsd.controller.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lvsd.controller.config.AdminConfig;
import io.lvsd.controller.config.AdminToken;
import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.daemon.Component;
import io.lvsd.controller.daemon.InstanceLock;
import io.lvsd.linux.LogThrottle;
import io.lvsd.linux.net.IpAddresses;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint (HTTP/1.1 on Netty): {@code GET /} (the status page, {@link StatusPage}),
 * {@code GET /metrics} (Prometheus text), {@code GET /status} (JSON), {@code GET /healthz}, and the runtime API
 * ({@code POST /real-servers/...}). It runs on its own event loop, never the VRRP one. A reload that changes
 * {@code admin.listen} binds the new address before closing the old one, so a failed bind leaves the old endpoint
 * serving.
 *
 * <p>The same endpoint is served on two listeners, and the runtime API needs a credential on each ({@link #access}):
 * <ul>
 *   <li>the control socket, a Unix-domain socket whose file mode (0600, or 0660 with
 *       {@code admin.control-socket-group}) decides who may connect, as HAProxy's stats socket does; every change
 *       made through it is logged with the peer's uid and pid ({@code SO_PEERCRED});</li>
 *   <li>{@code admin.listen}, for loopback clients that present the bearer token of {@code admin.token-file}. A
 *       client off the loopback never gets the API there: the token would cross the network in clear text.</li>
 * </ul>
 * Refusals answer 401 or 403 without detail, are counted by reason ({@code lvsd_admin_api_refused_total}) and are
 * logged at most once a minute.
 */
public final class AdminServer implements Component {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The runtime API behind {@code POST /real-servers/ACTION?service=S&real-server=IP:PORT[&weight=N]} (action
     * {@code ACTION}) and {@code POST /director/ACTION} (action {@code director/ACTION}).
     */
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
    /** Both listeners' connection bounds (one instance: the limit is the endpoint's). */
    private ConnectionLimits limits;
    /** The control socket's listener and file, or null. */
    private Channel control;
    private Path controlPath;
    /** The settings the control socket was bound with, to rebind it at a reload that changes them. */
    private List<Object> controlSettings;
    /** The bearer token, or null: read at start and at every reload. Read on the admin loop. */
    private volatile AdminToken token;
    private final Map<String, Counter> refused = new HashMap<>();
    /** Touched on the admin loop only (one thread). */
    private final LogThrottle refusedLog = new LogThrottle(Duration.ofMinutes(1));

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
        for (String reason : REFUSALS) {
            refused.put(reason, Counter.builder("lvsd.admin.api.refused").tag("reason", reason)
                    .description("Runtime API requests refused: not_loopback (a client off the loopback), "
                            + "no_credential (no token-file: the API is on the control socket only), no_token, bad_token")
                    .register(registry));
        }
    }

    static final List<String> REFUSALS = List.of("not_loopback", "no_credential", "no_token", "bad_token");

    @Override
    public String name() {
        return "admin";
    }

    /** The address actually bound. */
    public InetSocketAddress boundAddress() {
        return bound;
    }

    /** The control socket's path, or null when there is none. */
    public Path controlSocket() {
        return controlPath;
    }

    @Override
    public void start(LvsdConfig config) throws Exception {
        limits = new ConnectionLimits(config.admin().maxConnections(), config.admin().requestTimeout(),
                Counter.builder("lvsd.admin.connections.closed").tag("reason", "evicted")
                        .description("Admin connections closed: evicted (the oldest waiting one, for a new one beyond "
                                + "admin.max-connections), timed_out (no complete request within admin.request-timeout)")
                        .register(registry),
                Counter.builder("lvsd.admin.connections.closed").tag("reason", "timed_out").register(registry));
        AdminToken t = readToken(config.admin());
        DefaultThreadFactory tf = new DefaultThreadFactory("lvsd-admin");
        group = Epoll.isAvailable() ? new EpollEventLoopGroup(1, tf) : new NioEventLoopGroup(1, tf);
        channel = bind(config.admin().listen());
        token = t;
        bindControl(config.admin());
    }

    @Override
    public void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
        AdminToken t = readToken(next.admin());
        group.submit(() -> limits.configure(next.admin().maxConnections(), next.admin().requestTimeout()))
                .syncUninterruptibly();
        if (!next.admin().listen().equals(previous.admin().listen())) {
            Channel fresh = bind(next.admin().listen());
            channel.close().syncUninterruptibly();
            channel = fresh;
        }
        token = t;
        if (!controlSettings(next.admin()).equals(controlSettings)) {
            closeControl();
            bindControl(next.admin());
        }
    }

    @Override
    public void stop() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        closeControl();
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static AdminToken readToken(AdminConfig a) throws Exception {
        if (a.tokenFile() == null) {
            return null;
        }
        try {
            AdminToken t = AdminToken.read(a.tokenFile());
            if (t == null) {
                throw new Exception("admin.token-file: " + a.tokenFile() + ": no token");
            }
            return t;
        } catch (java.io.IOException e) {
            throw new Exception("admin.token-file: " + a.tokenFile() + ": cannot read it (" + e.getClass().getSimpleName()
                    + ")", e);
        }
    }

    private ChannelInitializer<Channel> pipeline(boolean controlSocket) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                // The limits sit after the aggregator: a request counts once its body, too, has arrived.
                ch.pipeline().addLast(new HttpServerCodec(ConnectionLimits.MAX_LINE, ConnectionLimits.MAX_HEADERS, 8192),
                        new HttpObjectAggregator(ConnectionLimits.MAX_BODY), limits, new Handler(controlSocket));
            }
        };
    }

    private static List<Object> controlSettings(AdminConfig a) {
        return java.util.Arrays.asList(a.controlSocket(), a.controlSocketGroup());
    }

    /**
     * Binds the control socket: the configured path, else this namespace's default. A live socket at that path (another
     * daemon's) is left alone; a stale one, left by a daemon that died, is replaced. The file is made 0600, or 0660 and
     * given to {@code admin.control-socket-group}, before anyone is told of it. An explicit path that cannot be bound
     * fails the start or reload; the default one only warns (the API is then not served).
     */
    private void bindControl(AdminConfig a) throws Exception {
        controlSettings = controlSettings(a);
        Path path = a.controlSocket() != null ? a.controlSocket()
                : InstanceLock.controlSocket(InstanceLock.directory(System.getenv()));
        try {
            if (!(group instanceof EpollEventLoopGroup)) {
                throw new java.io.IOException("no epoll transport on this platform");
            }
            Files.createDirectories(path.getParent());
            if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (listening(path)) {
                    throw new java.io.IOException("another process listens on it");
                }
                Files.delete(path);
            }
            Channel ch = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childHandler(pipeline(true)).bind(new DomainSocketAddress(path.toFile())).sync().channel();
            try {
                if (a.controlSocketGroup() != null) {
                    Files.getFileAttributeView(path, java.nio.file.attribute.PosixFileAttributeView.class).setGroup(
                            path.getFileSystem().getUserPrincipalLookupService()
                                    .lookupPrincipalByGroupName(a.controlSocketGroup()));
                }
                Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString(
                        a.controlSocketGroup() != null ? "rw-rw----" : "rw-------"));
            } catch (Exception e) {
                ch.close().syncUninterruptibly();
                Files.deleteIfExists(path);
                throw e;
            }
            control = ch;
            controlPath = path;
            log.info("runtime API on the control socket {} (mode {}{})", path,
                    a.controlSocketGroup() != null ? "0660, group " : "0600",
                    a.controlSocketGroup() != null ? a.controlSocketGroup() : "");
        } catch (Exception e) {
            String why = "admin.control-socket: cannot listen on " + path + ": " + e.getMessage();
            if (a.controlSocket() != null) {
                throw new Exception(why, e);
            }
            log.warn("{}; the runtime API is not served on a control socket", why);
        }
    }

    /** Whether a process accepts connections on the Unix-domain socket {@code path}. */
    static boolean listening(Path path) {
        try (java.nio.channels.SocketChannel s = java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(path))) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private void closeControl() {
        if (control != null) {
            control.close().syncUninterruptibly();
            control = null;
            try {
                Files.deleteIfExists(controlPath);
            } catch (java.io.IOException e) {
                log.debug("admin: cannot remove {}: {}", controlPath, e.toString());
            }
            controlPath = null;
        }
    }

    private Channel bind(InetSocketAddress address) throws Exception {
        try {
            Channel ch = new ServerBootstrap().group(group)
                    .channel(group instanceof EpollEventLoopGroup ? EpollServerSocketChannel.class
                            : NioServerSocketChannel.class)
                    .childHandler(pipeline(false)).bind(address).sync().channel();
            bound = (InetSocketAddress) ch.localAddress();
            log.info("admin endpoint on http://{}/ (page, metrics, status, healthz)", IpAddresses.format(bound));
            return ch;
        } catch (Exception e) {
            throw new Exception("admin.listen: cannot listen on " + IpAddresses.format(address) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether a runtime API request may change anything, and who made it: over the control socket the file mode
     * already decided ({@code peer} names the caller); over TCP the client must be on the loopback and present the
     * bearer token. A refusal carries its status and the reason it is counted under.
     */
    record Access(HttpResponseStatus refusal, String reason, String who) {
        static Access allowed(String who) {
            return new Access(null, null, who);
        }

        boolean allowed() {
            return refusal == null;
        }
    }

    static Access access(String peer, java.net.SocketAddress remote, String authorization, AdminToken token) {
        if (peer != null) {
            return Access.allowed(peer + " over the control socket");
        }
        if (!(remote instanceof InetSocketAddress r) || !r.getAddress().isLoopbackAddress()) {
            return new Access(HttpResponseStatus.FORBIDDEN, "not_loopback", null);
        }
        if (token == null) {
            return new Access(HttpResponseStatus.FORBIDDEN, "no_credential", null);
        }
        String prefix = "Bearer ";
        if (authorization == null || !authorization.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return new Access(HttpResponseStatus.UNAUTHORIZED, "no_token", null);
        }
        if (!token.matches(authorization.substring(prefix.length()).trim())) {
            return new Access(HttpResponseStatus.UNAUTHORIZED, "bad_token", null);
        }
        return Access.allowed("token " + token.id() + " from " + IpAddresses.format(r));
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        /** Whether this connection came through the control socket. */
        private final boolean controlSocket;

        Handler(boolean controlSocket) {
            this.controlSocket = controlSocket;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (req.decoderResult().isFailure()) { // too long a line or headers, or not HTTP: answer and close
                Throwable why = req.decoderResult().cause();
                HttpResponseStatus status = why instanceof io.netty.handler.codec.http.TooLongHttpHeaderException
                        ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                        : why instanceof io.netty.handler.codec.http.TooLongHttpLineException
                        ? HttpResponseStatus.REQUEST_URI_TOO_LONG : HttpResponseStatus.BAD_REQUEST;
                FullHttpResponse r = text(status, status.reasonPhrase().toLowerCase(java.util.Locale.ROOT) + "\n");
                HttpUtil.setKeepAlive(r, false);
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            FullHttpResponse resp;
            QueryStringDecoder query = new QueryStringDecoder(req.uri());
            String path = query.path();
            try {
                if (path.startsWith("/real-servers/") && controls != null) {
                    resp = control(ctx, req, path.substring("/real-servers/".length()), query);
                } else if (path.startsWith("/director/") && controls != null) {
                    resp = control(ctx, req, path.substring(1), query);
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

        /** The runtime API: POST only, with a credential ({@link #access}). */
        private FullHttpResponse control(ChannelHandlerContext ctx, FullHttpRequest req, String action,
                                         QueryStringDecoder query) {
            if (!req.method().equals(HttpMethod.POST)) {
                FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed (expected POST)\n");
                r.headers().set(HttpHeaderNames.ALLOW, "POST");
                return r;
            }
            Access access = access(controlSocket ? peer(ctx.channel()) : null, ctx.channel().remoteAddress(),
                    req.headers().get(HttpHeaderNames.AUTHORIZATION), token);
            if (!access.allowed()) {
                refused.get(access.reason()).increment();
                long held = refusedLog.admit(System.nanoTime());
                if (held >= 0) {
                    log.warn("admin: refused POST {} from {}: {}{}", query.path(),
                            IpAddresses.format((InetSocketAddress) ctx.channel().remoteAddress()), access.reason(),
                            LogThrottle.heldBack(held));
                }
                FullHttpResponse r = text(access.refusal(), access.refusal().code() == 401 ? "unauthorized\n"
                        : "forbidden\n");
                if (access.refusal().code() == 401) {
                    r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
                }
                return r;
            }
            java.util.function.Function<String, String> param = name -> {
                List<String> v = query.parameters().get(name);
                return v == null || v.isEmpty() ? null : v.get(0);
            };
            try {
                String done = controls.control(action, param.apply("service"), param.apply("real-server"),
                        param.apply("weight"));
                log.info("runtime API: {} (by {})", done, access.who());
                return text(HttpResponseStatus.OK, done + "\n");
            } catch (IllegalArgumentException e) {
                return text(HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
            } catch (java.util.NoSuchElementException e) {
                return text(HttpResponseStatus.NOT_FOUND, e.getMessage() + "\n");
            }
        }

        /** The control socket's caller, from the kernel's SO_PEERCRED. */
        private String peer(Channel ch) {
            try {
                PeerCredentials c = ((EpollDomainSocketChannel) ch).peerCredentials();
                return "uid " + c.uid() + " pid " + c.pid();
            } catch (Exception e) {
                return "an unknown peer (" + e.getClass().getSimpleName() + ")";
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
