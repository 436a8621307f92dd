package io.lvsd.controller.cli;

import io.lvsd.controller.Main;
import io.lvsd.controller.daemon.InstanceLock;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringEncoder;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lvsd real-server drain|enable|weight}: the runtime API, over the daemon's control socket. The socket's file
 * mode decides who may use it (root, or {@code admin.control-socket-group}); the daemon logs each change with the
 * caller's uid and pid.
 */
@Command(name = "real-server", mixinStandardHelpOptions = true,
        subcommands = {RealServerSetupCommand.Check.class, RealServerSetupCommand.Setup.class},
        description = {"Drain, enable or re-weight one real server of a running lvsd, through its control socket;",
                "or, on a real server, check and prepare its side of LVS (check, setup).",
                "drain: weight 0 (no new connections, the existing ones finish), removed once idle if it is no "
                        + "longer configured; enable: back to its configured weight; weight: a weight until the next "
                        + "drain, enable or reload."},
        footer = {"", "Examples:",
                "  lvsd real-server drain -s web -r 10.1.1.2:80",
                "  lvsd real-server weight -s web -r 10.1.1.2:80 -w 5",
                "  lvsd real-server enable -s web -r 10.1.1.2:80 -f /etc/lvsd/lvsd.conf",
                "", "The same over HTTP: curl --unix-socket SOCKET -X POST "
                        + "'http://lvsd/real-servers/drain?service=web&real-server=10.1.1.2:80'",
                "", "Exit codes: 0 done; 1 refused, unknown service or real server, or no daemon; 2 bad usage."})
public final class RealServerCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "ACTION",
            description = "drain, enable or weight (or the subcommands check, setup)")
    String action;

    @Option(names = {"-s", "--service"}, paramLabel = "NAME", description = "The virtual server's name.")
    String service;

    @Option(names = {"-r", "--real-server"}, paramLabel = "IP:PORT", description = "The real server.")
    String realServer;

    @Option(names = {"-w", "--weight"}, paramLabel = "N", description = "For weight: 0-65535.")
    String weight;

    @Option(names = {"-f", "--config"}, paramLabel = "FILE",
            description = "The daemon's configuration file, for its admin.control-socket (default: /etc/lvsd/lvsd.conf "
                    + "when it exists).")
    Path file;

    @Option(names = "--socket", paramLabel = "PATH", description = "The control socket, instead of the file's.")
    Path socket;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "How long to wait for the daemon (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (action == null) {
            spec.commandLine().usage(err);
            return Main.EXIT_USAGE;
        }
        if (!java.util.List.of("drain", "enable", "weight").contains(action)) {
            err.println("lvsd real-server: " + action + ": unknown action (expected drain, enable or weight)");
            return Main.EXIT_USAGE;
        }
        if (service == null || realServer == null) {
            err.println("lvsd real-server: " + action + " needs -s NAME and -r IP:PORT");
            return Main.EXIT_USAGE;
        }
        if (action.equals("weight") != (weight != null)) {
            err.println("lvsd real-server: " + (weight == null ? "weight needs -w N" : "-w is for weight only"));
            return Main.EXIT_USAGE;
        }
        Path path = controlSocket(file, socket, err, "lvsd real-server");
        if (path == null) {
            return Main.EXIT_FAILURE;
        }
        QueryStringEncoder q = new QueryStringEncoder("/real-servers/" + action);
        q.addParam("service", service);
        q.addParam("real-server", realServer);
        if (weight != null) {
            q.addParam("weight", weight);
        }
        return postAndPrint(path, q.toString(), timeoutSeconds, "lvsd real-server", out, err);
    }

    /**
     * The running daemon's control socket: {@code socket} when given; else {@code admin.control-socket} of {@code file}
     * (default /etc/lvsd/lvsd.conf when it exists); else this network namespace's default. Null, with the file's
     * errors printed, when the file is invalid.
     */
    static Path controlSocket(Path file, Path socket, PrintWriter err, String command) {
        if (socket != null) {
            return socket;
        }
        StatusCommand.DaemonFile d = StatusCommand.daemonFile(file, err, command, "control socket", "--socket");
        if (d.invalid()) {
            return null;
        }
        Path path = d.config() != null ? d.config().admin().controlSocket() : null;
        return path != null ? path : InstanceLock.controlSocket(InstanceLock.directory(System.getenv()));
    }

    /**
     * POSTs {@code uri} to the daemon's control socket and prints its answer: on {@code out} when done (exit 0), on
     * {@code err} with the HTTP status when refused, or why no daemon answered (exit 1).
     */
    static int postAndPrint(Path path, String uri, int seconds, String command, PrintWriter out, PrintWriter err) {
        FullHttpResponse resp;
        try {
            resp = post(path, uri, seconds);
        } catch (Exception e) {
            String why = e.getCause() != null ? e.getCause().toString() : e.toString();
            err.println(command + ": no lvsd answered on " + path + " (" + why + "); is it running, and may "
                    + "this user use its control socket?");
            return Main.EXIT_FAILURE;
        }
        try {
            String body = resp.content().toString(StandardCharsets.UTF_8).strip();
            if (resp.status().code() != 200) {
                err.println(command + ": " + body + " (HTTP " + resp.status().code() + ")");
                return Main.EXIT_FAILURE;
            }
            out.println(body);
            out.flush();
            return 0;
        } finally {
            resp.release();
        }
    }

    /** One POST over the Unix-domain socket {@code path}, answered within {@code seconds}. */
    static FullHttpResponse post(Path path, String uri, int seconds) throws Exception {
        EventLoopGroup group = new EpollEventLoopGroup(1);
        try {
            CompletableFuture<FullHttpResponse> answer = new CompletableFuture<>();
            Channel ch = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                    new SimpleChannelInboundHandler<FullHttpResponse>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                            answer.complete(r.retainedDuplicate());
                                        }

                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            answer.completeExceptionally(cause);
                                            ctx.close();
                                        }

                                        @Override
                                        public void channelInactive(ChannelHandlerContext ctx) {
                                            answer.completeExceptionally(new java.io.IOException("connection closed"));
                                        }
                                    });
                        }
                    }).connect(new DomainSocketAddress(path.toFile())).sync().channel();
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri,
                    Unpooled.EMPTY_BUFFER);
            req.headers().set(HttpHeaderNames.HOST, "lvsd").setInt(HttpHeaderNames.CONTENT_LENGTH, 0)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ch.writeAndFlush(req);
            return answer.get(seconds, TimeUnit.SECONDS);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
