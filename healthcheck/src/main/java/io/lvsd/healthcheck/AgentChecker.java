package io.lvsd.healthcheck;

import io.lvsd.linux.proc.ScriptRunner;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code agent}: load feedback, in the spirit of the LVS feedbackd and lvs-kiss tools. A command on the director
 * (its output), a line from a TCP port on the real server, or an HTTP body from it carries a number: a weight, a
 * load, or an idle percentage ({@code reports}). The first number in the text is the sample; the monitor smooths
 * the samples and {@link #weight} maps them to an IPVS weight. No number, a failing command or a refused
 * connection is a failed check.
 */
public final class AgentChecker implements Checker {
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w.])-?\\d+(?:\\.\\d+)?");
    private static final int MAX_LINE = 256;

    private final Supplier<ScriptRunner> runner;
    private final HttpChecker http = new HttpChecker();

    public AgentChecker(Supplier<ScriptRunner> runner) {
        this.runner = runner;
    }

    @Override
    public void probe(ProbeContext ctx) {
        CheckSpec.Agent spec = (CheckSpec.Agent) ctx.config().spec();
        if (spec.command() != null) {
            ScriptChecker.run(ctx, runner.get(), spec.command(), "agent", r -> {
                if (r.ok()) {
                    report(ctx, spec, r.output());
                } else {
                    ctx.down("agent " + spec.command() + ": " + r.describe());
                }
            });
        } else if (spec.path() != null) {
            CheckSpec.Http get = new CheckSpec.Http(false, "GET", spec.path(), null, null,
                    List.of(new CheckSpec.StatusRange(200, 299)), null, null, 4096, "1.1");
            http.fetch(ctx, get, true, (status, body, truncated) -> {
                if (status < 200 || status > 299) {
                    ctx.down("agent HTTP " + status);
                } else {
                    report(ctx, spec, new String(body, StandardCharsets.UTF_8));
                }
            });
        } else {
            ctx.transport().connect(ctx, false, new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new LineBasedFrameDecoder(MAX_LINE, true, false),
                            new SimpleChannelInboundHandler<ByteBuf>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext c, ByteBuf line) {
                                    report(ctx, spec, line.toString(StandardCharsets.UTF_8));
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext c) {
                                    ctx.down("agent closed the connection without a line");
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                                    ctx.down("agent: " + ProbeTransport.message(cause));
                                }
                            });
                }
            }, ch -> { });
        }
    }

    private static void report(ProbeContext ctx, CheckSpec.Agent spec, String text) {
        ctx.complete(judge(spec, text, ctx.elapsedNanos()));
    }

    /** The verdict on an agent's text (package-private for the property test that feeds it hostile replies). */
    static CheckResult judge(CheckSpec.Agent spec, String text, long nanos) {
        Double n = parse(text);
        String shown = text == null ? "" : text.strip();
        shown = shown.length() > 80 ? shown.substring(0, 80) + " [...]" : shown;
        if (n == null) {
            return CheckResult.down("agent said \"" + shown + "\": no number", nanos);
        }
        if (n < 0) {
            return CheckResult.down("agent said \"" + shown + "\": negative", nanos);
        }
        if (n.isInfinite()) { // 309 digits or more read as Infinity: no weight, and not a sample CheckResult takes
            return CheckResult.down("agent said \"" + shown + "\": too large", nanos);
        }
        return CheckResult.sample(n, "agent " + spec.reports().name().toLowerCase(java.util.Locale.ROOT) + " " + shown,
                nanos);
    }

    /** The first number in {@code text}, or null. */
    static Double parse(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = NUMBER.matcher(text);
        return m.find() ? Double.parseDouble(m.group()) : null;
    }

    /**
     * The IPVS weight for a (smoothed) sample: {@code weight} reports it as is; {@code load} falls linearly from the
     * maximum at load 0 to 0 at {@code load-full}; {@code idle} (a percentage) scales the maximum. The maximum is
     * {@code max-weight}, or the configured weight; the result is bounded by {@code min-weight} and the maximum.
     */
    public static int weight(CheckSpec.Agent spec, double sample, int configured) {
        int max = spec.maxWeight() != null ? spec.maxWeight() : configured;
        double w = switch (spec.reports()) {
            case WEIGHT -> sample;
            case LOAD -> max * (1 - sample / spec.loadFull());
            case IDLE -> max * sample / 100.0;
        };
        long rounded = Math.round(w);
        int low = Math.min(spec.minWeight(), max);
        return (int) Math.max(low, Math.min(max, rounded));
    }
}
