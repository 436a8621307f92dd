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
 */
public final class SyncWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncWatcher.class);
    /** IP_VS_SYNC_GROUP and IP_VS_SYNC_PORT (include/net/ip_vs.h); IPv6 has no default group. */
    public static final String DEFAULT_GROUP = "224.0.0.81";
    public static final int DEFAULT_PORT = 8848;

    /** Called on the watcher's thread for each datagram; must not block. */
    public interface Listener {
        void message(InetAddress from, SyncMessage message);

        void malformed(InetAddress from, SyncCodec.Error error, String detail);
    }

    private final EventLoopGroup group;
    private final DatagramChannel channel;

    private SyncWatcher(EventLoopGroup group, DatagramChannel channel) {
        this.group = group;
        this.channel = channel;
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
        EventLoopGroup g = new NioEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "lvsd-sync-watch");
            t.setDaemon(true);
            return t;
        });
        try {
            Bootstrap b = new Bootstrap().group(g)
                    .channelFactory(() -> new NioDatagramChannel(v6 ? InternetProtocolFamily.IPv6
                            : InternetProtocolFamily.IPv4))
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
            return new SyncWatcher(g, ch);
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
    public void close() {
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
