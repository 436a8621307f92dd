package io.lvsd.healthcheck;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.net.ssl.SSLException;

/**
 * {@code http} / {@code https}: one request ({@code Connection: close}); up when the status is expected and the
 * body, read up to {@code max-bytes}, matches {@code body-regex} and {@code digest} where given. HTTPS sends SNI
 * ({@code sni}, else a {@code host} that is a name) and does not verify the certificate: a health check asks
 * whether the server answers, and real servers commonly carry certificates for the public name only.
 */
public final class HttpChecker implements Checker {
    /** Built at the first HTTPS probe: building it costs a second or more of CPU, and most farms need none. */
    private volatile SslContext tls;

    private SslContext tls() {
        SslContext t = tls;
        if (t == null) {
            synchronized (this) {
                if (tls == null) {
                    try {
                        // No certificate check and no host name check: Netty 4.2 asks for the latter by default.
                        // The trust-all manager ignores it today; CheckersIT holds both.
                        tls = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                                .endpointIdentificationAlgorithm(null).build();
                    } catch (SSLException e) {
                        throw new IllegalStateException("TLS client context: " + e.getMessage(), e);
                    }
                }
                t = tls;
            }
        }
        return t;
    }

    @Override
    public void probe(ProbeContext ctx) {
        CheckSpec.Http spec = (CheckSpec.Http) ctx.config().spec();
        boolean needBody = spec.bodyRegex() != null || spec.digest() != null;
        fetch(ctx, spec, needBody, verdict(ctx, spec, needBody));
    }

    /** What a fetched response means for the probe: the status against the list, then the body's checks. */
    static Fetched verdict(ProbeContext ctx, CheckSpec.Http spec, boolean needBody) {
        return (status, body, truncated) -> {
            if (!spec.accepts(status)) {
                ctx.down("HTTP " + status + " (expected " + spec.status() + ")");
            } else if (!needBody) {
                ctx.up("HTTP " + status);
            } else {
                judge(ctx, spec, status, body, truncated);
            }
        };
    }

    /** What a fetch found: the status, and the body (up to max-bytes) when it was asked for. */
    interface Fetched {
        void accept(int status, byte[] body, boolean truncated);
    }

    /**
     * One request as {@code spec} says; {@code done} gets the status and, with {@code needBody}, the body read up
     * to {@code max-bytes}. Failures end the probe as down.
     */
    void fetch(ProbeContext ctx, CheckSpec.Http spec, boolean needBody, Fetched done) {
        InetSocketAddress target = ctx.target();
        String host = spec.host() != null ? spec.host() : io.lvsd.linux.net.IpAddresses.format(target);
        DefaultFullHttpRequest req;
        try { // Netty refuses a request line or header it cannot send as it is (check-config refuses them first)
            // No body, and the shared empty buffer as its content: a request never written (the connect failed,
            // the probe timed out) holds nothing to release.
            req = new DefaultFullHttpRequest(spec.version().equals("1.0") ? HttpVersion.HTTP_1_0
                    : HttpVersion.HTTP_1_1, HttpMethod.valueOf(spec.method()), spec.path(), Unpooled.EMPTY_BUFFER);
            req.headers().set(HttpHeaderNames.HOST, host).set(HttpHeaderNames.USER_AGENT, "lvsd-healthcheck")
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
        } catch (IllegalArgumentException e) {
            ctx.down("request: " + ProbeTransport.message(e));
            return;
        }
        Response response = new Response(spec, ctx, needBody, done);
        ctx.transport().request(ctx, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (spec.tls()) {
                    String sni = spec.sni() != null ? spec.sni() : spec.host() != null && !isLiteral(spec.host())
                            ? spec.host().replaceFirst(":\\d+$", "") : null;
                    SslHandler ssl = sni == null ? tls().newHandler(ch.alloc())
                            : tls().newHandler(ch.alloc(), sni, target.getPort());
                    ch.pipeline().addLast(ssl);
                }
                ch.pipeline().addLast(new HttpClientCodec(), response);
            }
        }, ch -> {
            ch.writeAndFlush(req).addListener(f -> {
                if (!f.isSuccess()) {
                    ctx.down("request: " + ProbeTransport.message(f.cause()));
                }
            });
        });
    }

    private static void judge(ProbeContext ctx, CheckSpec.Http spec, int status, byte[] bytes, boolean truncated) {
        String cut = truncated ? " (first " + bytes.length + " bytes, max-bytes)" : "";
        if (spec.bodyRegex() != null && !spec.bodyRegex().matcher(new String(bytes, StandardCharsets.UTF_8)).find()) {
            ctx.down("HTTP " + status + ": body" + cut + " does not match body-regex \"" + spec.bodyRegex() + "\"");
            return;
        }
        if (spec.digest() != null) {
            if (truncated) {
                ctx.down("HTTP " + status + ": body longer than max-bytes (" + spec.maxBytes() + "): digest not checked");
                return;
            }
            String got = digest(spec.digest().jdkName(), bytes);
            if (!got.equals(spec.digest().hex())) {
                ctx.down("HTTP " + status + ": body " + spec.digest().algorithm() + " " + got + " (expected "
                        + spec.digest().hex() + ")");
                return;
            }
        }
        ctx.up("HTTP " + status + ", body matches");
    }

    private static boolean isLiteral(String host) {
        return host.startsWith("[") || host.replaceFirst(":\\d+$", "").matches("[0-9.]+");
    }

    /**
     * Reads one response: the status, then the body when it is wanted (at most {@code max-bytes} of it are kept,
     * whatever the response claims). Package-private for the property test that feeds it hostile responses.
     */
    static final class Response extends SimpleChannelInboundHandler<HttpObject> {
        private final CheckSpec.Http spec;
        private final ProbeContext ctx;
        private final boolean needBody;
        private final Fetched done;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private int status = -1;
        private boolean truncated;

        Response(CheckSpec.Http spec, ProbeContext ctx, boolean needBody, Fetched done) {
            this.spec = spec;
            this.ctx = ctx;
            this.needBody = needBody;
            this.done = done;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext c, HttpObject msg) {
            if (ctx.finished()) {
                return;
            }
            if (msg.decoderResult().isFailure()) {
                ctx.down("bad HTTP response: " + ProbeTransport.message(msg.decoderResult().cause()));
                return;
            }
            if (msg instanceof HttpResponse r) {
                status = r.status().code();
                if (!needBody || !spec.accepts(status)) {
                    done.accept(status, new byte[0], false);
                    return;
                }
            }
            if (msg instanceof HttpContent content) {
                ByteBuf b = content.content();
                int take = Math.min(spec.maxBytes() - body.size(), b.readableBytes());
                byte[] chunk = new byte[take];
                b.readBytes(chunk);
                body.write(chunk, 0, take);
                truncated |= b.isReadable();
                if (msg instanceof LastHttpContent || truncated) {
                    done.accept(status, body.toByteArray(), truncated);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext c) {
            ctx.down(status < 0 ? "connection closed before a response" : "connection closed before the body ended");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
            ctx.down((spec.tls() ? "TLS/HTTP: " : "HTTP: ") + ProbeTransport.message(cause));
        }
    }

    static String digest(String jdkName, byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(jdkName).digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(jdkName + " is part of every JDK", e);
        }
    }
}
