package io.lvsd.arp;

import io.lvsd.arp.internal.Frames;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.PacketSocket;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the LAN that a new master now holds its addresses: a burst of {@code repeat} gratuitous
 * ARPs (IPv4) or unsolicited neighbour advertisements (IPv6) per address at once, a second burst
 * after {@code delay} (switches and hosts that missed the first, e.g. while a port was still
 * learning), and with a non-zero {@code refresh} a burst of {@code refreshRepeat} every
 * {@code refresh} while master. {@link #reannounce} sends one burst at once (split-brain
 * healing, RFC 9568 §6.4.3).
 *
 * <p>The first frame for each address leaves on the caller's thread before {@link #announce}
 * returns: a takeover should not wait for another thread to wake up (on an idle machine that
 * costs up to a millisecond or more). Everything else runs on the given executor; callers may
 * call from any thread. A failed send is logged and counted, never thrown: the next burst tries
 * again.
 */
public final class Announcer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Announcer.class);

    /** Where frames go; {@link PacketSocket} in production. */
    public interface FrameSink extends AutoCloseable {
        void send(byte[] frame, int ifindex, String ifname) throws NativeException;

        @Override
        void close();
    }

    /** An address to announce and the interface (and its MAC) that now holds it. */
    public record Target(String ifname, int ifindex, byte[] mac, InetAddress address) {
        public Target {
            Objects.requireNonNull(ifname, "ifname");
            Objects.requireNonNull(address, "address");
        }
    }

    private final ScheduledExecutorService executor;
    private final FrameSink sink;
    private final MeterRegistry registry;
    private final Map<String, Active> active = new HashMap<>();
    private final Map<String, Counter> counters = new java.util.concurrent.ConcurrentHashMap<>();

    private record Active(List<Target> targets, AnnounceConfig config, List<ScheduledFuture<?>> timers) {
    }

    public Announcer(ScheduledExecutorService executor, FrameSink sink, MeterRegistry registry) {
        this.executor = executor;
        this.sink = sink;
        this.registry = registry;
        // Load and initialise the frame builders now, not on the first takeover's critical path.
        byte[] mac = new byte[6];
        Frames.gratuitousArp(mac, (Inet4Address) IpAddresses.parse("192.0.2.1"));
        Frames.unsolicitedNeighbourAdvert(mac, (Inet6Address) IpAddresses.parse("2001:db8::1"));
    }

    /** An announcer sending through an {@code AF_PACKET} socket. */
    public static Announcer open(ScheduledExecutorService executor, MeterRegistry registry) throws NativeException {
        PacketSocket s = PacketSocket.open();
        return new Announcer(executor, new FrameSink() {
            @Override
            public void send(byte[] frame, int ifindex, String ifname) throws NativeException {
                s.send(frame, ifindex, ifname);
            }

            @Override
            public void close() {
                s.close();
            }
        }, registry);
    }

    /** {@code key} (the VRRP instance) became master of {@code targets}: start announcing. */
    public void announce(String key, List<Target> targets, AnnounceConfig config) {
        List<Target> t = List.copyOf(targets);
        if (config.repeat() > 0) {
            burst(key, t, 1); // the sink and the counters are thread-safe; the rest of the state is the executor's
        }
        executor.execute(() -> start(key, t, t, config.repeat() - 1, config));
    }

    /**
     * {@code key} is still master and its addresses changed (a reload): from now on it holds {@code all}, and
     * only {@code added} are announced now (a burst, and another after the delay); the refresh covers {@code all}.
     * Nothing happens unless {@code key} is announcing.
     */
    public void update(String key, List<Target> all, List<Target> added) {
        List<Target> t = List.copyOf(all);
        List<Target> fresh = List.copyOf(added);
        executor.execute(() -> {
            Active a = active.get(key);
            if (a != null) {
                start(key, t, fresh, a.config().repeat(), a.config());
            }
        });
    }

    /** On the executor: {@code key} now announces {@code all}; {@code fresh} get {@code now} frames at once. */
    private void start(String key, List<Target> all, List<Target> fresh, int now, AnnounceConfig config) {
        cancel(key);
        List<ScheduledFuture<?>> timers = new ArrayList<>();
        active.put(key, new Active(all, config, timers));
        burst(key, fresh, now);
        if (config.delay().toNanos() > 0 && !fresh.isEmpty()) {
            timers.add(executor.schedule(() -> burst(key, fresh, config.repeat()), config.delay().toNanos(),
                    TimeUnit.NANOSECONDS));
        }
        long refresh = config.refresh().toNanos();
        if (refresh > 0) {
            timers.add(executor.scheduleAtFixedRate(() -> burst(key, all, config.refreshRepeat()), refresh, refresh,
                    TimeUnit.NANOSECONDS));
        }
    }

    /** One burst now for {@code key}, if it is announcing. */
    public void reannounce(String key) {
        executor.execute(() -> {
            Active a = active.get(key);
            if (a != null) {
                burst(key, a.targets(), a.config().repeat());
            }
        });
    }

    /** {@code key} is no longer master: stop its pending bursts. */
    public void withdraw(String key) {
        executor.execute(() -> {
            cancel(key);
            active.remove(key);
        });
    }

    private void cancel(String key) {
        Active a = active.get(key);
        if (a != null) {
            a.timers().forEach(f -> f.cancel(false));
        }
    }

    private void burst(String key, List<Target> targets, int repeat) {
        for (int i = 0; i < repeat; i++) {
            for (Target t : targets) {
                byte[] frame = frame(t);
                if (frame == null) {
                    continue; // not an Ethernet interface (e.g. a tunnel): nothing to announce
                }
                String kind = kind(t);
                try {
                    sink.send(frame, t.ifindex(), t.ifname());
                    counter("lvsd_announcements_sent", key, kind).increment();
                } catch (NativeException e) {
                    counter("lvsd_announcement_errors", key, kind).increment();
                    log.warn("{}: announcing {} on {} failed: {}", key, IpAddresses.text(t.address()), t.ifname(),
                            e.getMessage());
                }
            }
        }
    }

    /** The frame announcing {@code t}: a gratuitous ARP or an unsolicited NA; null without an Ethernet MAC. */
    private static byte[] frame(Target t) {
        if (t.mac() == null || t.mac().length != 6) {
            return null;
        }
        return t.address() instanceof Inet4Address v4 ? Frames.gratuitousArp(t.mac(), v4)
                : Frames.unsolicitedNeighbourAdvert(t.mac(), (Inet6Address) t.address());
    }

    private static String kind(Target t) {
        return t.address() instanceof Inet4Address ? "garp" : "na";
    }

    /**
     * Builds the frames {@link #announce} would send first for {@code key}'s {@code targets} and sends nothing: a
     * backup rehearsing its takeover, so that this code is loaded and linked before the takeover needs it.
     */
    public void rehearse(String key, List<Target> targets) {
        for (Target t : targets) { // the counters are registered already (prepare)
            frame(t);
        }
    }

    /**
     * Registers {@code key}'s counters now (e.g. when its VRRP instance is configured), so that its first
     * takeover does not pay for their registration between the address going up and the first frame.
     */
    public void prepare(String key) {
        for (String kind : new String[] {"garp", "na"}) {
            counter("lvsd_announcements_sent", key, kind);
            counter("lvsd_announcement_errors", key, kind);
        }
    }

    /** The counter, looked up in a map of this announcer's own: the registry's lookup builds an id each time. */
    private Counter counter(String name, String key, String kind) {
        String id = name + '/' + key + '/' + kind;
        Counter c = counters.get(id);
        if (c == null) {
            c = register(name, key, kind);
            Counter raced = counters.putIfAbsent(id, c);
            c = raced == null ? c : raced;
        }
        return c;
    }

    private Counter register(String name, String key, String kind) {
        return Counter.builder(name).tag("instance", key).tag("kind", kind)
                .description(name.endsWith("errors") ? "Gratuitous ARPs / neighbour advertisements that failed to send"
                        : "Gratuitous ARPs (garp) and unsolicited neighbour advertisements (na) sent")
                .register(registry);
    }

    @Override
    public void close() {
        sink.close();
    }
}
