package io.lvsd.linux.netlink;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import java.util.function.Consumer;

/**
 * Link and address notifications (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR) read
 * by one daemon thread and handed to a consumer. When the kernel drops notifications because the
 * socket buffer overflowed (ENOBUFS), the consumer gets {@link Resync}: it must re-read the state
 * it cares about, since events were lost.
 */
public final class RtnetlinkMonitor implements AutoCloseable {
    /** What the monitor reports. */
    public sealed interface Event {
    }

    /** RTM_NEWLINK (a change of flags, name or address) or RTM_DELLINK ({@code deleted}). */
    public record LinkEvent(Rtnetlink.Link link, boolean deleted) implements Event {
    }

    /** RTM_NEWADDR or RTM_DELADDR ({@code deleted}). */
    public record AddressEvent(Rtnetlink.Address address, boolean deleted) implements Event {
    }

    /** Notifications were lost. */
    public record Resync(String why) implements Event {
    }

    private final NetlinkSocket socket;
    private final Thread thread;
    private volatile boolean closed;

    private RtnetlinkMonitor(NetlinkSocket socket, Consumer<Event> consumer, Consumer<Throwable> failure,
                             String threadName) {
        this.socket = socket;
        this.thread = new Thread(() -> run(consumer, failure), threadName);
        this.thread.setDaemon(true);
    }

    /** Opens the subscription and starts the reader thread. */
    public static RtnetlinkMonitor start(Consumer<Event> consumer, Consumer<Throwable> failure, String threadName)
            throws NativeException {
        NetlinkSocket s = NetlinkSocket.open(Netlink.NETLINK_ROUTE, "route monitor", 4 << 20, 250,
                Rtnetlink.GROUP_LINK | Rtnetlink.GROUP_IPV4_IFADDR | Rtnetlink.GROUP_IPV6_IFADDR);
        RtnetlinkMonitor m = new RtnetlinkMonitor(s, consumer, failure, threadName);
        m.thread.start();
        return m;
    }

    private void run(Consumer<Event> consumer, Consumer<Throwable> failure) {
        byte[] buf = new byte[256 * 1024];
        while (!closed) {
            try {
                int n = socket.receive(buf);
                if (n <= 0) {
                    continue;
                }
                for (NlMessage m : NlMessage.parseAll(buf, n)) {
                    switch (m.type()) {
                        case Rtnetlink.RTM_NEWLINK, Rtnetlink.RTM_DELLINK ->
                                consumer.accept(new LinkEvent(Rtnetlink.parseLink(m), m.type() == Rtnetlink.RTM_DELLINK));
                        case Rtnetlink.RTM_NEWADDR, Rtnetlink.RTM_DELADDR -> consumer.accept(
                                new AddressEvent(Rtnetlink.parseAddress(m), m.type() == Rtnetlink.RTM_DELADDR));
                        default -> {
                        }
                    }
                }
            } catch (NativeException e) {
                if (closed) {
                    return;
                }
                if (e.errno() == LinuxNative.ENOBUFS) {
                    consumer.accept(new Resync("rtnetlink notifications lost (ENOBUFS)"));
                } else {
                    failure.accept(e);
                }
            } catch (RuntimeException e) {
                if (!closed) {
                    failure.accept(e);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        socket.close();
    }
}
