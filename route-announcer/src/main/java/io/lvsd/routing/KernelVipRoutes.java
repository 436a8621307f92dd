package io.lvsd.routing;

import io.lvsd.linux.NativeException;
import io.lvsd.linux.Require;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.netlink.Rtnetlink;
import java.io.IOException;
import java.net.InetAddress;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * VIP routes in the kernel over rtnetlink. {@link Kind#ACCEPT}: {@code local VIP dev lo table local proto P};
 * {@link Kind#ANNOUNCE}: {@code blackhole VIP table T proto P} (inert: no rule looks that table up). lvsd's routes
 * are told from everyone else's by the protocol number {@code P} alone, so nothing needs remembering across a
 * restart, and a route someone else made for the same prefix is never touched.
 */
public final class KernelVipRoutes implements VipRoutes {
    /** EEXIST and ESRCH, as rtnetlink answers a duplicate add and a missing delete. */
    private static final int EEXIST = 17;
    private static final int ESRCH = 3;

    private final Rtnetlink rt;
    private final int table;
    private final int protocol;
    private final int loopback;

    private KernelVipRoutes(Rtnetlink rt, int table, int protocol, int loopback) {
        this.rt = rt;
        this.table = table;
        this.protocol = protocol;
        this.loopback = loopback;
    }

    /**
     * Opens rtnetlink in the caller's network namespace.
     *
     * @param table    the announcement table (1-2^31-1, not one of the kernel's 252-255)
     * @param protocol the route protocol number that marks lvsd's routes (5-255: below 5 the kernel's own)
     */
    public static KernelVipRoutes open(int table, int protocol) throws IOException {
        Require.range("table", table, 1, Integer.MAX_VALUE);
        if (table >= 252 && table <= 255) {
            throw new IllegalArgumentException("table: " + table + " (expected not 252-255: the kernel's own tables)");
        }
        Require.range("protocol", protocol, 5, 255);
        Rtnetlink rt = Rtnetlink.open();
        try {
            int lo = rt.links().stream().filter(l -> l.name().equals("lo")).mapToInt(Rtnetlink.Link::index).findFirst()
                    .orElseThrow(() -> new IOException("no interface lo in this network namespace"));
            return new KernelVipRoutes(rt, table, protocol, lo);
        } catch (IOException | RuntimeException e) {
            rt.close();
            throw e;
        }
    }

    @Override
    public Set<InetAddress> list(Kind kind) throws IOException {
        Set<InetAddress> out = new LinkedHashSet<>();
        for (IpFamily f : new IpFamily[] {IpFamily.IPV4, IpFamily.IPV6}) {
            for (Rtnetlink.Route r : rt.routes(f, kind == Kind.ACCEPT ? Rtnetlink.RT_TABLE_LOCAL : table)) {
                if (r.protocol() == protocol && r.destination().prefixLength() == f.bits()
                        && r.type() == (kind == Kind.ACCEPT ? Rtnetlink.RTN_LOCAL : Rtnetlink.RTN_BLACKHOLE)) {
                    out.add(r.destination().address());
                }
            }
        }
        return out;
    }

    @Override
    public void add(Kind kind, InetAddress vip) throws IOException {
        try {
            rt.addRoute(route(kind, vip));
        } catch (NativeException e) {
            if (e.errno() != EEXIST) {
                throw e;
            }
            // Ours already, or someone else's route to the same prefix: either way the kernel has what is needed.
        }
    }

    @Override
    public void delete(Kind kind, InetAddress vip) throws IOException {
        try {
            rt.deleteRoute(route(kind, vip));
        } catch (NativeException e) {
            if (e.errno() != ESRCH) {
                throw e;
            }
        }
    }

    Rtnetlink.Route route(Kind kind, InetAddress vip) {
        IpPrefix host = new IpPrefix(vip, IpAddresses.family(vip).bits());
        return kind == Kind.ACCEPT
                ? new Rtnetlink.Route(host, Rtnetlink.RT_TABLE_LOCAL, protocol, Rtnetlink.RTN_LOCAL, Rtnetlink.RT_SCOPE_HOST,
                        loopback)
                : new Rtnetlink.Route(host, table, protocol, Rtnetlink.RTN_BLACKHOLE, 0, 0);
    }

    @Override
    public void close() {
        rt.close();
    }
}
