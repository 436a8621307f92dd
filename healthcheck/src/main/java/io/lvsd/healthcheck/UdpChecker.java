package io.lvsd.healthcheck;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * {@code udp}: sends the payload on a connected socket. With an expected reply, up when a reply matches it;
 * without, up when the timeout passes with no ICMP port-unreachable (the kernel reports it on a connected
 * socket), as a UDP service that answers nothing can only be checked by the absence of a refusal.
 */
public final class UdpChecker implements Checker {
    @Override
    public void probe(ProbeContext ctx) {
        CheckSpec.Udp spec = (CheckSpec.Udp) ctx.config().spec();
        ctx.transport().connect(ctx, true, new SimpleChannelInboundHandler<Object>() {
            @Override
            protected void channelRead0(ChannelHandlerContext c, Object msg) {
                ByteBuf content = msg instanceof DatagramPacket p ? p.content() : (ByteBuf) msg;
                ctx.complete(judge(spec, ByteBufUtil.getBytes(content), ctx.elapsedNanos()));
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                ctx.down(ProbeTransport.portUnreachable(cause) ? "ICMP port unreachable" : ProbeTransport.message(cause));
            }
        }, ch -> ch.writeAndFlush(Unpooled.wrappedBuffer(spec.payload())).addListener(f -> {
            if (!f.isSuccess()) {
                ctx.down(ProbeTransport.portUnreachable(f.cause()) ? "ICMP port unreachable"
                        : "send: " + ProbeTransport.message(f.cause()));
            }
        }));
    }

    @Override
    public CheckResult timedOut(ProbeContext ctx) {
        CheckSpec.Udp spec = (CheckSpec.Udp) ctx.config().spec();
        long ms = ctx.config().timeout().toMillis();
        return spec.expect() == null ? CheckResult.up("no ICMP port unreachable within " + ms + " ms", ctx.elapsedNanos())
                : CheckResult.down("no reply within " + ms + " ms", ctx.elapsedNanos());
    }

    /** The verdict on a reply (package-private for the property test that feeds it hostile replies). */
    static CheckResult judge(CheckSpec.Udp spec, byte[] reply, long nanos) {
        if (spec.expect() == null) {
            return CheckResult.up("reply of " + reply.length + " bytes", nanos);
        }
        if (matches(spec.expect(), reply)) {
            return CheckResult.up("reply matches", nanos);
        }
        return CheckResult.down("reply does not match " + describe(spec.expect()) + ": " + printable(reply), nanos);
    }

    /** Whether {@code reply} matches: the exact text, a regex found in it, or hex (? = any nibble) it starts with. */
    static boolean matches(CheckSpec.Expect e, byte[] reply) {
        return switch (e.kind()) {
            case EXACT -> new String(reply, StandardCharsets.ISO_8859_1).equals(e.value());
            case REGEX -> Pattern.compile(e.value()).matcher(new String(reply, StandardCharsets.ISO_8859_1)).find();
            case HEX -> {
                String hex = HexFormat.of().formatHex(reply);
                String want = e.value().toLowerCase(java.util.Locale.ROOT);
                if (hex.length() < want.length()) {
                    yield false;
                }
                for (int i = 0; i < want.length(); i++) {
                    if (want.charAt(i) != '?' && want.charAt(i) != hex.charAt(i)) {
                        yield false;
                    }
                }
                yield true;
            }
        };
    }

    private static String describe(CheckSpec.Expect e) {
        return switch (e.kind()) {
            case EXACT -> "expect \"" + e.value() + "\"";
            case REGEX -> "expect-regex \"" + e.value() + "\"";
            case HEX -> "expect-hex " + e.value();
        };
    }

    /** At most 64 bytes of a reply, as text when it is text, otherwise as hex. */
    static String printable(byte[] b) {
        int n = Math.min(b.length, 64);
        boolean text = true;
        for (int i = 0; i < n; i++) {
            text &= b[i] >= 0x20 && b[i] < 0x7f || b[i] == '\n' || b[i] == '\r' || b[i] == '\t';
        }
        String s = text ? "\"" + new String(b, 0, n, StandardCharsets.US_ASCII).replace("\n", "\\n").replace("\r", "\\r") + "\""
                : HexFormat.of().formatHex(b, 0, n);
        return n < b.length ? s + "... (" + b.length + " bytes)" : s;
    }
}
