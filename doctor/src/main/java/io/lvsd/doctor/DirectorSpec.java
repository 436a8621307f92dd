package io.lvsd.doctor;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a director's configuration asks of its host, in the terms the checks need. The controller builds it from
 * lvsd's configuration; the doctor module does not read configuration files itself.
 *
 * @param services the virtual services
 * @param routers  the VRRP instances
 * @param sync     the connection-sync daemon's settings, or {@code null} when sync is off
 */
public record DirectorSpec(List<Service> services, List<Router> routers, Sync sync) {
    public DirectorSpec {
        services = List.copyOf(services);
        routers = List.copyOf(routers);
    }

    /**
     * A virtual service.
     *
     * @param name        the operator's name for it, as the configuration spells it
     * @param family      IPv4 or IPv6
     * @param protocol    {@code tcp}, {@code udp} or {@code sctp}; a firewall-mark service is {@code fwmark}
     * @param scheduler   the kernel's scheduler name, e.g. {@code wlc}
     * @param forwardings the forwarding methods its real servers use: {@code dr}, {@code tun}, {@code nat}
     * @param persistence the persistence timeout, or {@code null} without persistence
     * @param vip         the virtual address ({@code null} for a firewall-mark service)
     * @param realServers its real servers
     * @param udpPayload  UDP: the datagram its health check sends (what a probe through the VIP sends), or {@code null}
     */
    public record Service(String name, IpFamily family, String protocol, String scheduler, Set<String> forwardings,
                          Duration persistence, InetAddress vip, List<Backend> realServers, byte[] udpPayload) {
        public Service {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(family, "family");
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(scheduler, "scheduler");
            forwardings = Set.copyOf(forwardings);
            realServers = List.copyOf(realServers);
        }

        /** A service whose real servers are not probed. */
        public Service(String name, IpFamily family, String protocol, String scheduler, Set<String> forwardings,
                       Duration persistence) {
            this(name, family, protocol, scheduler, forwardings, persistence, null, List.of(), null);
        }

        /** Whether UDP reaches it: a UDP service, or a firewall mark (which may carry UDP). */
        public boolean carriesUdp() {
            return protocol.equals("udp") || protocol.equals("fwmark");
        }
    }

    /**
     * A real server: its address, port and forwarding method ({@code dr}, {@code tun}, {@code nat}), and for TUN how
     * IPVS encapsulates what it forwards there ({@code null}: IPIP, the kernel's default).
     */
    public record Backend(InetAddress address, int port, String forwarding, Encapsulation tunnel) {
        public Backend {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(forwarding, "forwarding");
            if (tunnel != null && !forwarding.equals("tun")) {
                throw new IllegalArgumentException("tunnel: " + tunnel.key() + " with forwarding " + forwarding
                        + " (expected only with tun)");
            }
        }

        /** A DR or NAT real server, or a TUN one through IPIP. */
        public Backend(InetAddress address, int port, String forwarding) {
            this(address, port, forwarding, null);
        }

        /** TUN: the encapsulation, IPIP when none was given. */
        public Encapsulation encapsulation() {
            return tunnel == null ? Encapsulation.IPIP : tunnel;
        }
    }

    /**
     * A VRRP instance.
     *
     * @param name         its name
     * @param ifname       the interface it runs on
     * @param vrid         the virtual router id
     * @param version      2 or 3
     * @param vips         the virtual addresses
     * @param unicastPeers the unicast peers, empty for multicast
     */
    public record Router(String name, String ifname, int vrid, int version, List<InetAddress> vips,
                         List<InetAddress> unicastPeers) {
        public Router {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(ifname, "ifname");
            vips = List.copyOf(vips);
            unicastPeers = List.copyOf(unicastPeers);
        }

        /** The family of its addresses and adverts. */
        public IpFamily family() {
            return vips.isEmpty() ? IpFamily.IPV4 : IpAddresses.family(vips.get(0));
        }
    }

    /**
     * The connection-sync daemon's settings.
     *
     * @param ifname the interface it sends and listens on
     * @param syncId the sync id
     * @param group  the multicast group
     * @param port   the UDP port
     * @param maxlen the largest sync message lvsd asks the kernel for, 0 for the kernel's choice (the MTU)
     */
    public record Sync(String ifname, int syncId, InetAddress group, int port, int maxlen) {
        public Sync {
            Objects.requireNonNull(ifname, "ifname");
            Objects.requireNonNull(group, "group");
        }
    }
}
