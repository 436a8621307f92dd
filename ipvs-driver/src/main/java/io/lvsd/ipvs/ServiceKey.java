package io.lvsd.ipvs;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What identifies a virtual service in the kernel: protocol, address and port, or a firewall
 * mark and address family. {@link IpvsadmOrder} sorts them the way ipvsadm lists them.
 */
public sealed interface ServiceKey {
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
}
