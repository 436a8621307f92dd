package io.lvsd.linux.net;

import java.net.InetAddress;
import java.util.Objects;

/**
 * An address with a prefix length, as rtnetlink carries it ({@code 192.0.2.10/24}). The address
 * keeps its host bits: it is an interface address, not a network.
 */
public record IpPrefix(InetAddress address, int prefixLength) {
    public IpPrefix {
        Objects.requireNonNull(address, "address");
        int bits = IpAddresses.family(address).bits();
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length: " + prefixLength + " (expected 0-" + bits + ")");
        }
    }

    /** Parses {@code ip/len}; without {@code /len} the prefix is the full address length. */
    public static IpPrefix parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("null is not an address/prefix");
        }
        int slash = text.indexOf('/');
        InetAddress a = IpAddresses.parse(slash < 0 ? text : text.substring(0, slash));
        int bits = IpAddresses.family(a).bits();
        if (slash < 0) {
            return new IpPrefix(a, bits);
        }
        String len = text.substring(slash + 1);
        if (!len.matches("\\d{1,3}") || Integer.parseInt(len) > bits) {
            throw new IllegalArgumentException("\"" + text + "\" has a bad prefix length (expected 0-" + bits + ")");
        }
        return new IpPrefix(a, Integer.parseInt(len));
    }

    public IpFamily family() {
        return IpAddresses.family(address);
    }

    /** Whether {@code a} lies in this prefix's network (same family, same leading {@code prefixLength} bits). */
    public boolean contains(InetAddress a) {
        byte[] n = address.getAddress();
        byte[] x = a.getAddress();
        if (n.length != x.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (n[i] != x[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (n[full] & mask) == (x[full] & mask);
    }

    @Override
    public String toString() {
        return IpAddresses.text(address) + "/" + prefixLength;
    }
}
