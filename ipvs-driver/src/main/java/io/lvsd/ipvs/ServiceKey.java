package io.lvsd.ipvs;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.Objects;

/**
 * What identifies a virtual service in the kernel: protocol, address and port, or a firewall
 * mark and address family. Keys sort the way {@code ipvsadm} lists them, so a saved table is
 * byte-for-byte comparable.
 */
public sealed interface ServiceKey extends Comparable<ServiceKey> {
    IpFamily family();

    /** 0 for address services. */
    long fwmark();

    /** {@code tcp 10.0.0.1:80} or {@code fwmark 7 IPv4}, for messages. */
    String describe();

    /** A protocol, address and port. */
    record Addr(Protocol protocol, InetSocketAddress endpoint) implements ServiceKey {
        public Addr {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(endpoint.getAddress(), "address");
        }

        @Override
        public IpFamily family() {
            return IpAddresses.family(endpoint.getAddress());
        }

        @Override
        public long fwmark() {
            return 0;
        }

        @Override
        public String describe() {
            return protocol.key() + " " + IpAddresses.format(endpoint);
        }
    }

    /** A firewall mark (set by iptables/nftables) for one address family. */
    record Fwmark(IpFamily family, long fwmark) implements ServiceKey {
        public Fwmark {
            Objects.requireNonNull(family, "family");
            if (fwmark < 1 || fwmark > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("fwmark: " + fwmark + " (expected 1-4294967295)");
            }
        }

        @Override
        public String describe() {
            return "fwmark " + fwmark + " " + family;
        }
    }

    @Override
    default int compareTo(ServiceKey o) {
        return ORDER.compare(this, o);
    }

    /**
     * ipvsadm's listing order: address services before firewall marks (by mark), then family,
     * protocol, address and port. IPv4 addresses compare as signed 32-bit numbers, as
     * ipvsadm does, so 128.0.0.0 and up sort before 0.0.0.0-127.255.255.255.
     */
    Comparator<ServiceKey> ORDER = Comparator.<ServiceKey>comparingLong(ServiceKey::fwmark)
            .thenComparingInt(k -> k.family().af())
            .thenComparingInt(k -> k instanceof Addr a ? a.protocol().number() : 0)
            .thenComparing((x, y) -> x instanceof Addr a && y instanceof Addr b
                    ? compareAddress(a.endpoint().getAddress(), b.endpoint().getAddress()) : 0)
            .thenComparingInt(k -> k instanceof Addr a ? a.endpoint().getPort() : 0);

    /** IPv4 as a signed 32-bit number, IPv6 byte by byte. */
    static int compareAddress(InetAddress x, InetAddress y) {
        byte[] a = x.getAddress();
        byte[] b = y.getAddress();
        if (a.length != b.length) {
            return Integer.compare(a.length, b.length);
        }
        if (a.length == 4) {
            return Integer.compare(java.nio.ByteBuffer.wrap(a).getInt(), java.nio.ByteBuffer.wrap(b).getInt());
        }
        return java.util.Arrays.compareUnsigned(a, b);
    }
}
