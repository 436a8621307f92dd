package io.lvsd.healthcheck;

import io.lvsd.linux.LinuxNative;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.socket.InternetProtocolFamily;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadFactory;
import java.util.function.IntConsumer;

/**
 * The event loops probes run on and the channels they open: epoll where the native transport loads (it can bind
 * a socket to an interface), NIO otherwise. Source address, source port and interface of a check are applied
 * here, before the socket connects, so that no checker has to. On epoll, a TCP connect is a bare socket the loop
 * watches ({@link TcpConnect}), not a channel.
 */
public final class ProbeTransport implements AutoCloseable {
    /** SOL_SOCKET and SO_BINDTODEVICE, from the kernel's uapi asm-generic/socket.h. */
    static final int SOL_SOCKET = 1;
    static final int SO_BINDTODEVICE = 25;
    private static final int IFNAMSIZ = 16;

    private final EventLoopGroup group;
    private final boolean epoll;
    private volatile ProbeNamespace namespace;

    /** A transport with {@code threads} event loops named {@code lvsd-check-N}. */
    public static ProbeTransport create(int threads) {
        ThreadFactory tf = new io.netty.util.concurrent.DefaultThreadFactory("lvsd-check", true);
        return Epoll.isAvailable()
                ? new ProbeTransport(new MultiThreadIoEventLoopGroup(threads, tf, EpollIoHandler.newFactory()), true)
                : new ProbeTransport(new MultiThreadIoEventLoopGroup(threads, tf, NioIoHandler.newFactory()), false);
    }

    /** Probes on {@code group}'s loops with NIO channels (tests: an EmbeddedChannel's loop with frozen time). */
    public static ProbeTransport on(EventLoopGroup group) {
        return new ProbeTransport(group, false);
    }

    private ProbeTransport(EventLoopGroup group, boolean epoll) {
        this.group = group;
        this.epoll = epoll;
    }

    /** Why probes cannot bind to an interface here, or null when they can. */
    public static String interfaceBindingUnavailable() {
        return Epoll.isAvailable() ? null : "the epoll transport did not load: " + Epoll.unavailabilityCause();
    }

    public EventLoop next() {
        return group.next();
    }

    /** Whether TCP connects on this transport are bare sockets its epoll loops watch, rather than channels. */
    public boolean bareTcp() {
        return epoll;
    }

    /**
     * A TCP connect to {@code ctx.target()}, with the check's source, interface and {@code tcp} options applied;
     * {@code connected} runs when the handshake completes, a failure ends the probe as down with the reason, and the
     * socket closes with a reset when the probe ends. Nothing is read or written.
     */
    public void connectTcp(ProbeContext ctx, Runnable connected) {
        if (epoll && ctx.loop() instanceof IoEventLoop loop && loop.isCompatible(EpollIoHandle.class)) {
            socketFor(ctx, false, fd -> TcpConnect.start(ctx, loop, fd, connected));
        } else {
            connect(ctx, false, new io.netty.channel.ChannelInboundHandlerAdapter(), ch -> connected.run());
        }
    }

    /**
     * A stream ({@code datagram} false) or datagram channel on {@code ctx}'s loop, with the check's source
     * address / port and interface applied and {@code handler} in its pipeline, connected to {@code ctx.target()}.
     * A failure to set it up or connect ends the probe as down with the reason; the channel closes with the probe.
     * On epoll a stream is a bare socket whose bytes a pipeline in memory handles ({@link TcpConnect#stream}): the
     * handlers see the same events, and {@code connected} gets that pipeline's channel.
     */
    public void connect(ProbeContext ctx, boolean datagram, io.netty.channel.ChannelHandler handler,
                        java.util.function.Consumer<Channel> connected) {
        open(ctx, datagram, false, handler, connected);
    }

    /**
     * A stream as {@link #connect} makes, for a client that speaks first and at once ({@code connected} writes: an
     * HTTP request, a TLS hello). The server's SYN-ACK is acknowledged by those first bytes rather than by a packet
     * of its own ({@code TCP_QUICKACK} off before the connect): one packet less per probe for both ends. The server
     * still sees the whole handshake before the request.
     */
    public void request(ProbeContext ctx, io.netty.channel.ChannelHandler handler,
                        java.util.function.Consumer<Channel> connected) {
        open(ctx, false, true, handler, connected);
    }

    private void open(ProbeContext ctx, boolean datagram, boolean speaksFirst, io.netty.channel.ChannelHandler handler,
                      java.util.function.Consumer<Channel> connected) {
        if (!datagram && epoll && ctx.loop() instanceof IoEventLoop loop && loop.isCompatible(EpollIoHandle.class)) {
            socketFor(ctx, false, fd -> TcpConnect.stream(ctx, loop, fd, handler, connected, speaksFirst));
            return;
        }
        socketFor(ctx, datagram, fd -> connect(ctx, datagram, speaksFirst, handler, connected, fd));
    }

    /**
     * Runs {@code start} on {@code ctx}'s loop with the socket a probe through the VIP must use, made in the probe
     * namespace, or with -1 (make one here) for any other probe; a socket that cannot be had ends the probe as down.
     */
    private void socketFor(ProbeContext ctx, boolean datagram, IntConsumer start) {
        ThroughVip via = ctx.via();
        if (via == null) {
            start.accept(-1);
            return;
        }
        if (!epoll) {
            String why = interfaceBindingUnavailable();
            ctx.down("through the VIP: needs the epoll transport" + (why == null ? "" : " (" + why + ")"));
            return;
        }
        ProbeNamespace ns = namespace;
        if (ns == null) {
            ctx.down("through the VIP: no probe namespace (through-vip.addresses is empty)");
            return;
        }
        ns.socket(via, datagram).whenComplete((fd, error) -> {
            try {
                ctx.loop().execute(() -> {
                    if (error != null) {
                        ctx.down("through the VIP: " + message(error));
                    } else if (ctx.finished()) {
                        LinuxNative.get().close(fd); // timed out meanwhile
                    } else {
                        start.accept(fd);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                if (fd != null) {
                    LinuxNative.get().close(fd); // the loop is shutting down
                }
            }
        });
    }

    /** The probe namespace probes through the VIP come from; null: such probes fail, saying so. */
    public void namespace(ProbeNamespace namespace) {
        this.namespace = namespace;
    }

    /**
     * Builds the channel and connects it; with {@code adopt} ≥ 0 the channel's socket is replaced by that one (a socket
     * made in the probe namespace), before anything is set on it.
     */
    private void connect(ProbeContext ctx, boolean datagram, boolean speaksFirst, io.netty.channel.ChannelHandler handler,
                         java.util.function.Consumer<Channel> connected, int adopt) {
        CheckConfig c = ctx.config();
        Bootstrap b = new Bootstrap().group(ctx.loop()).handler(handler);
        // An IPv4 target gets an IPv4 socket: Netty's epoll sockets are otherwise dual-stack IPv6 ones, whose
        // connect goes through the IPv6 code to reach the IPv4 one, on every probe.
        InternetProtocolFamily family = ctx.target().getAddress() instanceof Inet4Address
                ? InternetProtocolFamily.IPv4 : InternetProtocolFamily.IPv6;
        if (datagram) {
            if (epoll) {
                b.channelFactory(() -> adopt(new EpollDatagramChannel(family), adopt));
            } else {
                b.channel(NioDatagramChannel.class);
            }
        } else {
            if (epoll) {
                b.channelFactory(() -> adopt(new EpollSocketChannel(family), adopt));
            } else {
                b.channel(NioSocketChannel.class);
            }
            // No connect timer of Netty's own: the monitor's timeout ends the probe and closes the channel.
            // Closed with a reset (SO_LINGER 0), as HAProxy closes its checks: a probe needs no orderly shutdown,
            // and a FIN close would leave a TIME_WAIT socket on the director per probe (10,000 probes a second
            // would keep up to 600,000, a minute's worth) and cost a second exchange of packets.
            b.option(io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
                    .option(io.netty.channel.ChannelOption.SO_LINGER, 0);
            if (c.spec() instanceof CheckSpec.Tcp) {
                // A tcp check reads nothing: no read interest (Netty still reads a close the server sends first).
                b.option(io.netty.channel.ChannelOption.AUTO_READ, false);
            }
            if (delaysAck(c, speaksFirst)) {
                if (epoll) {
                    b.option(io.netty.channel.epoll.EpollChannelOption.TCP_QUICKACK, false);
                } else {
                    b.option(io.netty.channel.socket.nio.NioChannelOption.of(
                            jdk.net.ExtendedSocketOptions.TCP_QUICKACK), false);
                }
            }
        }
        ChannelFuture reg = b.register();
        Channel ch = reg.channel();
        // Closed by a task of its own: a probe often ends inside the connect listener, and a channel closed there
        // still has its connect promise pending, which Netty fails with a new ClosedChannelException (stack
        // trace and all) on every probe.
        ctx.onDone(() -> ch.eventLoop().execute(ch::close));
        reg.addListener(r -> {
            if (!r.isSuccess()) {
                ctx.down("socket: " + message(r.cause()));
                return;
            }
            if (c.bindInterface() != null) {
                if (!epoll) {
                    ctx.down("interface " + c.bindInterface() + ": " + interfaceBindingUnavailable());
                    return;
                }
                try {
                    ch.config().setOption(new RawUnixChannelOption("SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE,
                            IFNAMSIZ), ifname(c.bindInterface()));
                } catch (RuntimeException e) {
                    ctx.down("interface " + c.bindInterface() + ": " + message(e));
                    return;
                }
            }
            InetSocketAddress local = localAddress(c);
            ChannelFuture cf = local == null ? ch.connect(ctx.target()) : ch.connect(ctx.target(), local);
            cf.addListener(f -> {
                if (f.isSuccess()) {
                    connected.accept(ch);
                } else {
                    ctx.down(message(f.cause()));
                }
            });
        });
    }

    /**
     * Makes {@code ch}'s descriptor refer to socket {@code fd} (which is then closed), so that Netty drives a socket made
     * elsewhere (in another network namespace) as its own; {@code fd} < 0 leaves it alone. The socket is non-blocking
     * and of the channel's family, as Netty's own would be.
     */
    private static <C extends Channel & io.netty.channel.unix.UnixChannel> C adopt(C ch, int fd) {
        if (fd < 0) {
            return ch;
        }
        LinuxNative n = LinuxNative.get();
        try {
            n.dup3(fd, ch.fd().intValue(), "probe socket");
        } catch (io.lvsd.linux.NativeException e) {
            ch.unsafe().closeForcibly();
            throw new io.netty.channel.ChannelException(e.getMessage());
        } finally {
            n.close(fd);
        }
        return ch;
    }

    /**
     * Whether a probe's socket acknowledges the server's SYN-ACK only with delay ({@code TCP_QUICKACK} off before the
     * connect), as if data were to follow. Half-open, the reset comes first: the connection dies in the server's SYN
     * queue, never accepted. A client that speaks first sends its first bytes at once, and they carry the
     * acknowledgement: one packet less per probe for both ends (what HAProxy calls tcp-smart-connect).
     */
    static boolean delaysAck(CheckConfig c, boolean speaksFirst) {
        return speaksFirst || c.spec() instanceof CheckSpec.Tcp tcp && tcp.halfOpen();
    }

    /** The address a check's probes come from ({@code source-address}, {@code source-port}), or null: the kernel's. */
    static InetSocketAddress localAddress(CheckConfig c) {
        if (c.sourceAddress() == null && c.sourcePort() == null) {
            return null;
        }
        int port = c.sourcePort() == null ? 0 : c.sourcePort();
        return c.sourceAddress() == null ? new InetSocketAddress(port) : new InetSocketAddress(c.sourceAddress(), port);
    }

    static ByteBuffer ifname(String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        if (b.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name longer than " + (IFNAMSIZ - 1) + " characters");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(IFNAMSIZ);
        buf.put(b);
        buf.position(0);
        return buf;
    }

    /**
     * Whether {@code t} is the kernel reporting an ICMP port-unreachable on a connected datagram socket
     * (ECONNREFUSED: NIO raises PortUnreachableException, Netty's epoll transport a native error naming it).
     */
    static boolean portUnreachable(Throwable t) {
        String m = String.valueOf(t.getMessage());
        return t instanceof java.net.PortUnreachableException || m.contains("Connection refused")
                || m.contains("ECONNREFUSED");
    }

    /** A cause for logs without the exception's class chatter. */
    static String message(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage();
        if (m == null || m.isBlank()) {
            return c.getClass().getSimpleName();
        }
        // Netty's native errors read "connect(..) failed: Connection refused", "setsockopt() failed: No such device"
        // or "finishConnect(..) failed with error(-111): Connection refused"; keep the reason.
        return m.replaceFirst("^\\w+\\((\\.\\.)?\\) failed[^:]*: ", "");
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
