package io.lvsd.vrrp.internal;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.netlink.NetlinkException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes VIPs to the kernel, on the VRRP io thread only: adds and removals over rtnetlink, each timed
 * ({@code lvsd_vrrp_address_change_seconds}) and logged when slow. The VIPs are the one kernel object lvsd writes
 * outside the IPVS driver thread, for takeover speed; this class is where that happens. An address already
 * there (EEXIST) or already gone (EADDRNOTAVAIL, ENODEV) is what was wanted, not an error.
 */
final class VipWriter {
    private static final Logger log = LoggerFactory.getLogger(VrrpRuntime.class);
    /**
     * An address change waits for the kernel's rtnl lock inside its {@code sendmsg}, which is why it runs on the
     * io thread and never on the VRRP loop. Every change is timed; a long one is logged, as a takeover's VIPs (and
     * the io thread's other work) waited that long.
     */
    static final long SLOW_ADDRESS_CHANGE_NANOS = 50_000_000L;

    /** One address request: where, what, and its IPv4 label (null for none). */
    record AddrOp(int ifindex, String ifname, IpPrefix prefix, String label) {
    }

    private final VrrpKernel kernel;
    private final LongSupplier nanoTime;
    private final Timer changes;
    private final Consumer<String> restored;

    /**
     * @param restored told (on the io thread) the instance whose VIP was put back after someone deleted it
     */
    VipWriter(VrrpKernel kernel, LongSupplier nanoTime, MeterRegistry registry, Consumer<String> restored) {
        this.kernel = kernel;
        this.nanoTime = nanoTime;
        this.restored = restored;
        this.changes = Timer.builder("lvsd.vrrp.address.change")
                .description("VIP additions and removals on the VRRP io thread, each as long as it waited for the kernel")
                .register(registry);
    }

    /** An IPv4 label like {@code eth0:vrrp51}; labels must start with the device name and fit IFNAMSIZ. */
    static String label(String ifname, int vrid) {
        String l = ifname + ":vrrp" + vrid;
        return l.length() <= 15 ? l : null;
    }

    /**
     * Adds {@code op}'s address. {@code restore}: someone deleted it while we were master.
     *
     * @return how long the request took, for {@link #note}
     */
    long add(String instance, AddrOp op, boolean restore) {
        long t0 = nanoTime.getAsLong();
        try {
            kernel.addAddress(op.ifindex(), op.prefix(), op.label());
            if (restore) {
                restored.accept(instance);
                log.warn("{}: {} was removed from {} while master; put back", instance, op.prefix(), op.ifname());
            }
        } catch (NetlinkException e) {
            if (e.errno() != LinuxNative.EEXIST) {
                log.error("{}: cannot add {} to {}: {}", instance, op.prefix(), op.ifname(), e.getMessage());
            }
        } catch (NativeException | RuntimeException e) {
            log.error("{}: cannot add {} to {}: {}", instance, op.prefix(), op.ifname(), e.getMessage());
        }
        return nanoTime.getAsLong() - t0;
    }

    /** Adds {@code op}'s address and records how long it took. */
    void addAndNote(String instance, String what, AddrOp op, boolean restore) {
        note(instance, what, op, add(instance, op, restore));
    }

    /** Removes {@code op}'s address, timed. */
    void delete(String instance, AddrOp op) {
        long t0 = nanoTime.getAsLong();
        try {
            kernel.deleteAddress(op.ifindex(), op.prefix());
        } catch (NetlinkException e) {
            if (e.errno() != LinuxNative.EADDRNOTAVAIL && e.errno() != LinuxNative.ENODEV) {
                log.error("{}: cannot remove {} from {}: {}", instance, op.prefix(), op.ifname(), e.getMessage());
            }
        } catch (NativeException | RuntimeException e) {
            log.error("{}: cannot remove {} from {}: {}", instance, op.prefix(), op.ifname(), e.getMessage());
        }
        note(instance, "removing", op, nanoTime.getAsLong() - t0);
    }

    /** Builds the request that adds {@code op}, short of sending it: a takeover's rehearsal. */
    void rehearseAdd(AddrOp op) {
        kernel.rehearseAddAddress(op.ifindex(), op.prefix(), op.label());
    }

    /** Records one change's duration; logs it when the kernel kept it waiting. */
    void note(String instance, String what, AddrOp op, long nanos) {
        changes.record(nanos, TimeUnit.NANOSECONDS);
        if (nanos >= SLOW_ADDRESS_CHANGE_NANOS) {
            log.warn("{}: {} {} on {} took {} ms (the kernel's rtnl lock was busy)", instance, what, op.prefix(),
                    op.ifname(), nanos / 1_000_000);
        }
    }
}
