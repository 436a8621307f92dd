package io.lvsd.routing;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** VIP routes in memory, for tests: records every operation and can be told to fail the next ones. */
public final class InMemoryVipRoutes implements VipRoutes {
    private final Map<Kind, Set<InetAddress>> routes = new EnumMap<>(Kind.class);
    private final List<String> log = new ArrayList<>();
    private String failure;

    public InMemoryVipRoutes() {
        for (Kind k : Kind.values()) {
            routes.put(k, new LinkedHashSet<>());
        }
    }

    /** Makes every operation fail with {@code message} until called with null. */
    public synchronized void fail(String message) {
        failure = message;
    }

    /** Every operation applied, as {@code add announce 192.0.2.10}, in order. */
    public synchronized List<String> operations() {
        return List.copyOf(log);
    }

    @Override
    public synchronized Set<InetAddress> list(Kind kind) throws IOException {
        check();
        return Set.copyOf(routes.get(kind));
    }

    @Override
    public synchronized void add(Kind kind, InetAddress vip) throws IOException {
        check();
        routes.get(kind).add(vip);
        log.add("add " + kind.key() + " " + vip.getHostAddress());
    }

    @Override
    public synchronized void delete(Kind kind, InetAddress vip) throws IOException {
        check();
        routes.get(kind).remove(vip);
        log.add("delete " + kind.key() + " " + vip.getHostAddress());
    }

    private void check() throws IOException {
        if (failure != null) {
            throw new IOException(failure);
        }
    }

    @Override
    public void close() {
    }
}
