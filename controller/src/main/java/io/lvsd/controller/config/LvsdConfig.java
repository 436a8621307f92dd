package io.lvsd.controller.config;

import io.lvsd.arp.AnnounceConfig;
import io.lvsd.sync.SyncDaemonConfig;
import io.lvsd.vrrp.VrrpConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One director's whole configuration, bound and validated. Built only by {@link ConfigLoader};
 * the controller hands each component its part.
 *
 * @param source         the file it was read from
 * @param announce       gratuitous ARP / NA settings per VRRP instance name
 * @param throughVip     the networks of the probe namespace, for checks through the VIP
 * @param routing        VIP announcement through a routing daemon (active-active directors behind ECMP)
 */
public record LvsdConfig(Path source, DirectorConfig director, AdminConfig admin, ScriptsConfig scripts,
                         VrrpConfig vrrp, Map<String, AnnounceConfig> announce,
                         List<VirtualServerConfig> virtualServers, SyncDaemonConfig syncDaemon, IpvsConfig ipvs,
                         List<io.lvsd.healthcheck.ProbeNamespace.Link> throughVip, RoutingConfig routing) {
    public LvsdConfig {
        Objects.requireNonNull(director, "director");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(scripts, "scripts");
        Objects.requireNonNull(vrrp, "vrrp");
        announce = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(announce));
        virtualServers = List.copyOf(virtualServers);
        Objects.requireNonNull(syncDaemon, "sync-daemon");
        Objects.requireNonNull(ipvs, "ipvs");
        throughVip = List.copyOf(throughVip);
        Objects.requireNonNull(routing, "routing");
    }

    /** The VIPs of the virtual servers that have one (not firewall-mark services), each once, in order. */
    public List<java.net.InetAddress> vips() {
        java.util.LinkedHashSet<java.net.InetAddress> out = new java.util.LinkedHashSet<>();
        for (VirtualServerConfig v : virtualServers) {
            if (v.address() != null) {
                out.add(v.address().getAddress());
            }
        }
        return List.copyOf(out);
    }
}
