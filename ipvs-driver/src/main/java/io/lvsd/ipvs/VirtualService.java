package io.lvsd.ipvs;

import io.lvsd.linux.Require;
import io.lvsd.linux.net.IpFamily;
import java.util.Objects;

/**
 * A virtual service as the kernel holds it (IPVS_CMD_ATTR_SERVICE).
 *
 * @param scheduler the scheduler's kernel name, e.g. {@code wlc}
 * @param flags     IP_VS_SVC_F_* bits: {@link #PERSISTENT}, {@link #ONEPACKET}, {@link #SCHED1}..3
 * @param timeout   persistence timeout in seconds (meaningful with {@link #PERSISTENT})
 * @param netmask   persistence granularity: the IPv4 netmask as a 32-bit number
 *                  ({@code 0xffffffff} = one client), or the IPv6 prefix length (128 = one client)
 * @param peName    persistence engine, e.g. {@code sip}, or null
 */
public record VirtualService(ServiceKey key, String scheduler, int flags, long timeout, long netmask, String peName) {
    public static final int PERSISTENT = 0x0001;
    /** Set by the kernel on every service in its hash table; never compared or sent. */
    public static final int HASHED = 0x0002;
    public static final int ONEPACKET = 0x0004;
    public static final int SCHED1 = 0x0008;
    public static final int SCHED2 = 0x0010;
    public static final int SCHED3 = 0x0020;
    /** The flags an operator sets. */
    public static final int USER_FLAGS = PERSISTENT | ONEPACKET | SCHED1 | SCHED2 | SCHED3;

    public VirtualService {
        Objects.requireNonNull(key, "key");
        Require.nonEmpty("scheduler", scheduler);
        flags &= USER_FLAGS;
        Require.range("timeout", timeout, 0, 0xFFFF_FFFFL);
    }

    /** A service with {@code scheduler}, no flags and no persistence. */
    public static VirtualService of(ServiceKey key, String scheduler) {
        return new VirtualService(key, scheduler, 0, 0, fullNetmask(key.family()), null);
    }

    /** The netmask meaning "each client on its own": /32 or /128. */
    public static long fullNetmask(IpFamily family) {
        return family == IpFamily.IPV4 ? 0xFFFF_FFFFL : 128;
    }

    /** The IPv4 netmask for a prefix length, or the prefix itself for IPv6. */
    public static long netmaskOf(IpFamily family, int prefixLength) {
        if (family == IpFamily.IPV6) {
            return prefixLength;
        }
        return prefixLength == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefixLength)) & 0xFFFF_FFFFL;
    }

    public boolean persistent() {
        return (flags & PERSISTENT) != 0;
    }

    /** Persistence for {@code seconds} (> 0) with {@code netmask}. */
    public VirtualService withPersistence(long seconds, long mask) {
        return new VirtualService(key, scheduler, flags | PERSISTENT, seconds, mask, peName);
    }

    public VirtualService withPe(String pe) {
        return new VirtualService(key, scheduler, flags, timeout, netmask, pe);
    }
}
