package io.lvsd.controller.ipvs;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.VirtualServerConfig;
import io.lvsd.ipvs.IpvsSysctls;
import io.lvsd.ipvs.IpvsTimeouts;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.SyncDaemon;
import io.lvsd.sync.SyncDaemonConfig;
import io.lvsd.sync.SyncDaemonPlan;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything lvsd wants of the kernel but the VIPs: the IPVS table, the IPVS timeouts, the sysctls lvsd manages,
 * and the connection-sync daemons. {@link #desired} is the one function that computes it, from the configuration,
 * the health checks and the VRRP role of the instance sync follows; {@link IpvsComponent} is the one reconciler
 * that applies it, on its driver thread, and nothing else writes these objects.
 *
 * <p>The VIPs are the one exception: the VRRP runtime adds and removes them itself, on its own I/O thread, so that
 * a takeover does not wait behind a table dump.
 *
 * @param table    the IPVS table, with each real server's weight as health makes it
 * @param timeouts the IPVS timeouts the configuration sets (null fields: left to the kernel)
 * @param sysctls  net.ipv4.vs parameters and the value lvsd wants, set at start and reload only (an operator may
 *                 change them afterwards: lvsd does not fight that)
 * @param sync     the sync daemons
 */
public record KernelState(DesiredTable table, IpvsTimeouts timeouts, Map<String, String> sysctls, Sync sync) {
    public KernelState {
        sysctls = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sysctls));
    }

    /**
     * The sync daemons wanted.
     *
     * @param managed false when lvsd leaves the kernel's daemons alone (sync is off, or no component asked)
     */
    public record Sync(boolean managed, List<SyncDaemon> daemons) {
        public Sync {
            daemons = List.copyOf(daemons);
        }

        static final Sync UNMANAGED = new Sync(false, List.of());
    }

    /**
     * What the sync component asks for: its {@code sync-daemon} section and whether the instance it follows is
     * MASTER, and the roles it keeps for one flush window after a transition ({@link
     * io.lvsd.sync.SyncDaemonPlan#FLUSH_WINDOW_NANOS}). A disabled section asks for no daemon.
     */
    public record SyncIntent(SyncDaemonConfig config, boolean followedIsMaster,
                             java.util.Set<io.lvsd.ipvs.SyncDaemon.Role> lingering) {
        public SyncIntent {
            lingering = java.util.Set.copyOf(lingering);
        }

        public SyncIntent(SyncDaemonConfig config, boolean followedIsMaster) {
            this(config, followedIsMaster, java.util.Set.of());
        }
    }

    /**
     * The kernel state for {@code config} (null: nothing configured yet), {@code health} and {@code sync} (null:
     * the sync component has not asked for anything).
     */
    public static KernelState desired(LvsdConfig config, DesiredTable.Health health, SyncIntent sync) {
        DesiredTable table = config == null ? new DesiredTable(List.of(), Map.of()) : DesiredTable.from(config, health);
        IpvsTimeouts timeouts = config == null ? IpvsTimeouts.unchanged() : config.ipvs().timeouts();
        Map<String, String> sysctls = config == null ? Map.of() : sysctls(config);
        Sync daemons = sync == null ? Sync.UNMANAGED
                : new Sync(sync.config().enabled(), SyncDaemonPlan.desired(sync.config(), sync.followedIsMaster(), sync.lingering()));
        return new KernelState(table, timeouts, sysctls, daemons);
    }

    /**
     * With {@code routing} on, sloppy_tcp (and sloppy_sctp with SCTP services): see {@link IpvsSysctls#SLOPPY_TCP}.
     * A UDP client keeps its source port, so its IPVS entry lives as long as it keeps sending: without
     * expire_nodest_conn the kernel goes on sending it to a removed server until the client falls silent for the
     * UDP timeout, and without expire_quiescent_template persistence keeps it on a quiesced one. Firewall-mark
     * services may carry UDP.
     */
    static Map<String, String> sysctls(LvsdConfig config) {
        boolean udp = false;
        boolean udpPersistent = false;
        boolean sctp = false;
        for (VirtualServerConfig v : config.virtualServers()) {
            sctp |= v.protocol() == Protocol.SCTP;
            if (v.fwmark() != null || v.protocol() == Protocol.UDP) {
                udp = true;
                udpPersistent |= v.persistence().enabled();
            }
        }
        Map<String, String> m = new LinkedHashMap<>();
        if (udp) {
            m.put(IpvsSysctls.EXPIRE_NODEST_CONN, "1");
        }
        if (udpPersistent) {
            m.put(IpvsSysctls.EXPIRE_QUIESCENT_TEMPLATE, "1");
        }
        // Active-active directors: the router may move an established flow to a director that never saw its start.
        if (config.routing().enabled()) {
            m.put(IpvsSysctls.SLOPPY_TCP, "1");
            // Any stray ACK now makes an entry, and nothing caps their number: under memory pressure, shed them.
            m.put(IpvsSysctls.DROP_ENTRY, "1");
            if (sctp) {
                m.put(IpvsSysctls.SLOPPY_SCTP, "1");
            }
        }
        return m;
    }
}
