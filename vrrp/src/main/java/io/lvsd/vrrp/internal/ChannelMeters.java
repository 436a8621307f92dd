package io.lvsd.vrrp.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The counters a VRRP channel's reader threads count into, every one registered on the loop: a reader never registers
 * a meter. (A registration per packet is a registry lookup under a flood, and a counter registered for an instance
 * after it stopped and removed its meters would stay behind for good.)
 *
 * <ul>
 *   <li>{@code lvsd.vrrp.filtered{socket}} is the channel's own: registered when the channel opens, removed when it
 *       closes.</li>
 *   <li>The drop counters of the instances on the channel belong to the instances, which remove them when they stop;
 *       the loop hands them over whenever the instances on the channel change ({@link #instances}).</li>
 *   <li>The drops no instance claims ({@code instance=""}) are shared by every channel and the loop, and stay. A drop
 *       for an instance no longer on the channel (a reader's packet racing a reload) is counted there too.</li>
 * </ul>
 */
final class ChannelMeters {
    /** What a reader counts: the reasons {@link AdvertSocketFilter#classify} names, and a full receive queue. */
    private static final Set<DropReason> READER_REASONS = EnumSet.of(DropReason.VRID_ERROR,
            DropReason.UNICAST_SOURCE_ERROR, DropReason.RECEIVE_QUEUE_FULL);

    private final MeterRegistry registry;
    private final Counter filtered;
    /** {@code lvsd.vrrp.drops{instance=""}} of {@link #READER_REASONS}. */
    private final Map<DropReason, Counter> unclaimed = new EnumMap<>(DropReason.class);
    /** The instances on the channel, each with its drop counters by reason (loop writes, readers read). */
    private volatile Map<String, Map<DropReason, Counter>> instances = Map.of();

    /**
     * On the loop, as channel {@code channel} opens; {@code unclaimedDrops} gives the {@code instance=""} drop counter
     * of a reason.
     */
    ChannelMeters(MeterRegistry registry, String channel, Function<DropReason, Counter> unclaimedDrops) {
        this.registry = registry;
        this.filtered = Counter.builder("lvsd.vrrp.filtered").tag("socket", channel)
                .description("VRRP packets the kernel's socket filter kept out of the advert queue (a VRID no "
                        + "instance here has, a unicast source outside unicast-peers); each is also counted in "
                        + "lvsd.vrrp.drops under its reason")
                .register(registry);
        for (DropReason r : READER_REASONS) {
            unclaimed.put(r, unclaimedDrops.apply(r));
        }
    }

    /** On the loop: the instances on the channel now, by name, each with its drop counters by reason. */
    void instances(Map<String, Map<DropReason, Counter>> drops) {
        Map<String, Map<DropReason, Counter>> copy = new HashMap<>();
        drops.forEach((instance, counters) -> copy.put(instance, Map.copyOf(counters)));
        instances = Map.copyOf(copy);
    }

    /**
     * On the filter's reader: a packet the kernel kept out of the advert queue, for {@code instance} ("" for none),
     * dropped for {@code why}.
     */
    void filtered(String instance, DropReason why) {
        Counter c = drops(instance, why);
        filtered.increment();
        c.increment();
    }

    /** On a reader: the kernel dropped {@code count} packets on a full receive queue of the channel. */
    void queueDropped(long count) {
        unclaimed.get(DropReason.RECEIVE_QUEUE_FULL).increment(count);
    }

    /**
     * On the loop, as the channel closes: its own meter goes. A packet a reader still counts after that goes to a
     * counter no longer registered, and to the drops of {@code instance=""}.
     */
    void close() {
        registry.remove(filtered);
        instances = Map.of();
    }

    private Counter drops(String instance, DropReason why) {
        Map<DropReason, Counter> own = instances.get(instance);
        Counter c = own == null ? null : own.get(why);
        if (c == null) {
            c = unclaimed.get(why);
        }
        if (c == null) {
            throw new IllegalArgumentException("reason: " + why.label() + " (expected: one of " + READER_REASONS + ")");
        }
        return c;
    }
}
