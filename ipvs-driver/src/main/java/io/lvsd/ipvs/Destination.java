package io.lvsd.ipvs;

import io.lvsd.linux.Require;
import io.lvsd.linux.net.IpAddresses;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A real server of a virtual service, as the kernel holds it (IPVS_CMD_ATTR_DEST).
 *
 * @param upperThreshold no new connections above this many (0 = none)
 * @param lowerThreshold new connections again below this many (0 = the kernel's default)
 * @param tunnel         encapsulation for {@link Forwarding#TUN}; ipip otherwise
 */
public record Destination(InetSocketAddress address, Forwarding forwarding, int weight, long upperThreshold,
                          long lowerThreshold, TunnelConfig tunnel) {
    public Destination {
        Objects.requireNonNull(address.getAddress(), "address");
        Objects.requireNonNull(forwarding, "forwarding");
        Require.range("weight", weight, 0, Integer.MAX_VALUE);
        Require.range("upper-threshold", upperThreshold, 0, 0xFFFF_FFFFL);
        Require.range("lower-threshold", lowerThreshold, 0, 0xFFFF_FFFFL);
        Objects.requireNonNull(tunnel, "tunnel");
    }

    public static Destination of(InetSocketAddress address, Forwarding forwarding, int weight) {
        return new Destination(address, forwarding, weight, 0, 0, TunnelConfig.ipip());
    }

    public Destination withWeight(int w) {
        return new Destination(address, forwarding, w, upperThreshold, lowerThreshold, tunnel);
    }

    public String describe() {
        return IpAddresses.format(address);
    }
}
