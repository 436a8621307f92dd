package io.lvsd.sync;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.internal.SyncCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens to the IPVS sync group as a bystander: joins the group on an interface, decodes every datagram and
 * hands it to a {@link Listener}, counting it in a {@link SyncTraffic}. The socket is opened with SO_REUSEADDR so
 * that it shares the port with the kernel's backup daemon on the same director. The kernel's master daemon does
 * not loop its messages back, so a director never hears its own.
 *
 * <p>With Netty's epoll transport (Linux, always in lvsd's package) the watcher also reports what the kernel dropped
 * unread on its socket ({@code SO_MEMINFO}) to the {@link SyncTraffic}, so that a burst the watcher could not keep up
 * with is counted, not silently lost.
 */
public final class SyncWatcher implements SyncGroupSocket {
    private static final Logger log = LoggerFactory.getLogger(SyncWatcher.class);
    /** IP_VS_SYNC_GROUP and IP_VS_SYNC_PORT (include/net/ip_vs.h); IPv6 has no default group. */
    public static final String DEFAULT_GROUP = "224.0.0.81";
    public static final int DEFAULT_PORT = 8848;

    /** Called on the watcher's thread for each datagram; must not block. */
    public interface Listener {
        void message(InetAddress from, SyncMessage message);

        void malformed(InetAddress from, SyncCodec.Error error, String detail);

        /** An lvsd catch-up datagram ({@link CatchUp}); ignored unless overridden. */
        default void control(InetAddress from, CatchUp catchUp) {
        }
    }

    private final EventLoopGroup group;
    private final DatagramChannel channel;
    private final NetworkInterface nif;
    private final InetSocketAddress target;
    /** Read when the watcher opens, in its network namespace (a later thread may be in another). */
    private final int mtu;
    /** Opened with the watcher when it has an interface, else at the first send. */
    private java.nio.channels.DatagramChannel sender;
    private SyncTraffic traffic;
    /**
     * The listening socket's drop count when last read, and whether the socket is closed: guarded by {@link #dropLock},
     * not by {@code this}, which a send holds while it waits for room in the socket's buffer (a metrics scrape reads
     * the count).
     */
    private final Object dropLock = new Object();
    private long dropped;
    private boolean closed;

    private SyncWatcher(EventLoopGroup group, DatagramChannel channel, NetworkInterface nif, InetSocketAddress target)
            throws SocketException {
        this.mtu = nif == null ? 1500 : nif.getMTU();
        this.group = group;
        this.channel = channel;
        this.nif = nif;
        this.target = target;
    }

    /**
     * Joins {@code groupAddress}:{@code port} on {@code ifname} (null: the kernel's choice of interface).
     *
     * @throws IOException naming the interface, group and port when the socket cannot be set up
     */
    public static SyncWatcher open(String ifname, InetAddress groupAddress, int port, SyncTraffic traffic,
                                   Listener listener) throws IOException {
        Objects.requireNonNull(groupAddress, "group");
        String where = groupAddress.getHostAddress() + ":" + port + (ifname == null ? "" : " on " + ifname);
        if (!groupAddress.isMulticastAddress()) {
            throw new IOException("sync group " + groupAddress.getHostAddress() + " is not a multicast address");
        }
        NetworkInterface nif = null;
        if (ifname != null) {
            try {
                nif = NetworkInterface.getByName(ifname);
            } catch (SocketException e) {
                throw new IOException("interface " + ifname + ": " + e.getMessage(), e);
            }
            if (nif == null) {
                throw new IOException("interface " + ifname + " does not exist");
            }
        }
        boolean v6 = IpAddresses.family(groupAddress) == IpFamily.IPV6;
        java.util.concurrent.ThreadFactory threads = r -> {
            Thread t = new Thread(r, "lvsd-sync-watch");
            t.setDaemon(true);
            return t;
        };
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup g = epoll ? new EpollEventLoopGroup(1, threads) : new NioEventLoopGroup(1, threads);
        InternetProtocolFamily family = v6 ? InternetProtocolFamily.IPv6 : InternetProtocolFamily.IPv4;
        try {
            Bootstrap b = new Bootstrap().group(g)
                    .channelFactory(() -> epoll ? new EpollDatagramChannel(family) : new NioDatagramChannel(family))
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.SO_RCVBUF, 1 << 20)
                    .handler(new Handler(traffic, listener));
            if (nif != null) {
                b.option(ChannelOption.IP_MULTICAST_IF, nif);
            }
            // Bound to the group like the kernel's own receiver, so unicast to the port is not taken for sync.
            DatagramChannel ch = (DatagramChannel) b.bind(new InetSocketAddress(groupAddress, port)).sync().channel();
            if (nif != null) {
                ch.joinGroup(new InetSocketAddress(groupAddress, port), nif).sync();
            } else {
                ch.joinGroup(groupAddress).sync();
            }
            log.debug("watching IPVS sync traffic on {}", where);
            SyncWatcher w = new SyncWatcher(g, ch, nif, new InetSocketAddress(groupAddress, port));
            if (ch instanceof EpollDatagramChannel e) {
                int fd = e.fd().intValue();
                w.traffic = traffic;
                traffic.countDrops(() -> w.drops(fd));
            } else {
                log.debug("sync watcher on {}: no epoll, so what the kernel drops on its socket is not counted", where);
            }
            if (nif != null) {
                try {
                    w.sender = w.openSender(); // now, so that the first send is not slowed by setting it up
                } catch (IOException e) {
                    log.debug("{}; tried again at the first send", e.getMessage());
                }
            }
            return w;
        } catch (InterruptedException e) {
            g.shutdownGracefully();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while joining " + where, e);
        } catch (Exception e) {
            g.shutdownGracefully();
            throw new IOException("cannot listen to sync group " + where + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void send(byte[] datagram) throws IOException {
        if (sender == null) {
            sender = openSender();
        }
        int n = sender.send(java.nio.ByteBuffer.wrap(datagram), target);
        if (n != datagram.length) {
            throw new IOException("sendto " + target + ": the socket buffer is full (" + datagram.length + " bytes)");
        }
    }

    @Override
    public int mtu() {
        return mtu;
    }

    private java.nio.channels.DatagramChannel openSender() throws IOException {
        boolean v6 = target.getAddress() instanceof java.net.Inet6Address;
        java.nio.channels.DatagramChannel c = java.nio.channels.DatagramChannel.open(v6
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
        try {
            c.setOption(java.net.StandardSocketOptions.IP_MULTICAST_LOOP, false);
            c.setOption(java.net.StandardSocketOptions.IP_MULTICAST_TTL, 1);
            c.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 1 << 20);
            InetAddress local = null;
            if (nif != null) {
                c.setOption(java.net.StandardSocketOptions.IP_MULTICAST_IF, nif);
                // The kernel's master daemon binds to the interface's address (bind_mcastif_addr); so do we, so
                // that receivers see one sender per director.
                local = nif.inetAddresses().filter(a -> (a instanceof java.net.Inet6Address) == v6
                        && !a.isLinkLocalAddress()).findFirst().orElse(null);
            }
            c.bind(new InetSocketAddress(local, 0));
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw new IOException("cannot send to sync group " + target + ": " + e.getMessage(), e);
        }
    }

    /** The kernel's drop count of the listening socket {@code fd}; the last one read once closed or unreadable. */
    private long drops(int fd) {
        synchronized (dropLock) {
            if (!closed) {
                try {
                    dropped = io.lvsd.linux.LinuxNative.get().socketDrops(fd, "sync watcher");
                } catch (io.lvsd.linux.NativeException e) {
                    log.debug("sync watcher: {}", e.getMessage());
                }
            }
            return dropped;
        }
    }

    @Override
    public void close() {
        if (traffic != null) {
            traffic.stopCountingDrops(); // reads the count one last time, while the socket is open
        }
        synchronized (dropLock) {
            closed = true; // before the channel closes: its descriptor is not read again
        }
        synchronized (this) {
            if (sender != null) {
                try {
                    sender.close();
                } catch (IOException e) {
                    log.debug("closing the sync sender: {}", e.getMessage());
                }
                sender = null;
            }
        }
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Decodes datagrams; package-visible so tests can drive it through an EmbeddedChannel. */
    static final class Handler extends SimpleChannelInboundHandler<DatagramPacket> {
        private final SyncTraffic traffic;
        private final Listener listener;

        Handler(SyncTraffic traffic, Listener listener) {
            this.traffic = traffic;
            this.listener = listener;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
            InetAddress from = p.sender().getAddress();
            ByteBuf buf = p.content();
            byte[] b = new byte[buf.readableBytes()];
            buf.getBytes(buf.readerIndex(), b);
            SyncCodec.Result r = SyncCodec.decode(b);
            if (r instanceof SyncCodec.Decoded d) {
                traffic.message(from, d.message());
                listener.message(from, d.message());
            } else if (r instanceof SyncCodec.Control c) {
                listener.control(from, c.catchUp());
            } else if (r instanceof SyncCodec.Malformed m) {
                traffic.error(from, m.error().label());
                listener.malformed(from, m.error(), m.detail());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("sync watcher: {}", cause.toString());
        }
    }
}
