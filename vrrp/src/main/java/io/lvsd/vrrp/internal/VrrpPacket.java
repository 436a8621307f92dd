package io.lvsd.vrrp.internal;

import io.lvsd.linux.Require;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A VRRP advertisement (RFC 3768 §5.1 for version 2, RFC 5798 §5.1 for version 3).
 *
 * @param interval for version 2 whole seconds (Adver Int); for version 3 centiseconds
 *                 (Max Adver Int, 12 bits)
 * @param authType version 2 only: 0 none, 1 simple text password
 * @param authData version 2 only: the 8 authentication octets (zeros when none)
 */
public record VrrpPacket(int version, int vrid, int priority, int interval, List<InetAddress> addresses, int authType,
                         byte[] authData) {
    public VrrpPacket {
        Require.range("version", version, 2, 3);
        Require.range("vrid", vrid, 1, 255);
        Require.range("priority", priority, 0, 255);
        Require.range("interval", interval, 0, version == 2 ? 255 : 4095);
        addresses = List.copyOf(addresses);
        Require.range("addresses", addresses.size(), 1, 255);
        authData = authData == null ? new byte[8] : Arrays.copyOf(authData, 8);
        Objects.requireNonNull(addresses.get(0), "address");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VrrpPacket p && version == p.version && vrid == p.vrid && priority == p.priority
                && interval == p.interval && addresses.equals(p.addresses) && authType == p.authType
                && Arrays.equals(authData, p.authData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, vrid, priority, interval, addresses, authType, Arrays.hashCode(authData));
    }

    @Override
    public String toString() {
        return "VRRPv" + version + " vrid " + vrid + " prio " + priority + " int " + interval + " " + addresses;
    }
}
