package io.lvsd.sync;

import io.lvsd.ipvs.IpvsClient;
import io.lvsd.ipvs.SyncDaemon;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which kernel sync daemons should run, and the steps that get the kernel there. The planning is pure; {@link
 * #apply} carries a plan out through an {@link IpvsClient} on the caller's thread (the IPVS driver thread).
 *
 * <p>Order matters for the connections in flight: a role that is wanted is started before a role that is no
 * longer wanted is stopped, so a director turning master runs its master daemon before it gives up its backup
 * daemon (and the other way round), and is never without a sync daemon between the two. A daemon whose
 * settings changed is stopped and started again (the kernel cannot change a running one); every other daemon
 * is left alone.
 */
public final class SyncDaemonPlan {
    private SyncDaemonPlan() {
    }

    /** One step: start or stop the daemon of a role. */
    public record Step(Action action, SyncDaemon daemon) {
        public Step {
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(daemon, "daemon");
        }

        public String describe() {
            return action.name().toLowerCase(java.util.Locale.ROOT) + " " + daemon.role().key() + " daemon ("
                    + SyncDaemonPlan.describe(daemon) + ")";
        }
    }

    public enum Action { START, STOP }

    /**
     * The daemons {@code config} wants. Without an interface: none (lvsd leaves sync alone). With
     * {@code follow}: the master daemon while the followed instance is master, the backup daemon otherwise.
     * Without {@code follow}: both.
     */
    public static List<SyncDaemon> desired(SyncDaemonConfig config, boolean followedIsMaster) {
        return desired(config, followedIsMaster, java.util.Set.of());
    }

    /**
     * As {@link #desired(SyncDaemonConfig, boolean)}, and also the daemons of the {@code lingering} roles: with
     * {@code follow}, a role the director has just left keeps running for one flush window (see {@link
     * #FLUSH_WINDOW_NANOS}), so that what it still holds reaches the peer.
     */
    public static List<SyncDaemon> desired(SyncDaemonConfig config, boolean followedIsMaster,
                                           java.util.Set<SyncDaemon.Role> lingering) {
        if (!config.enabled()) {
            return List.of();
        }
        if (config.follow() == null) {
            return List.of(daemon(config, SyncDaemon.Role.MASTER), daemon(config, SyncDaemon.Role.BACKUP));
        }
        SyncDaemon.Role wanted = followedIsMaster ? SyncDaemon.Role.MASTER : SyncDaemon.Role.BACKUP;
        List<SyncDaemon> out = new ArrayList<>();
        for (SyncDaemon.Role r : SyncDaemon.Role.values()) {
            if (r == wanted || lingering.contains(r)) {
                out.add(daemon(config, r));
            }
        }
        return out;
    }

    /**
     * How long the kernel's master daemon may hold a connection's sync before it goes out: a partly filled
     * message is sent once it is IPVS_SYNC_FLUSH_TIME (2 s) old, checked every IPVS_SYNC_CHECK_PERIOD (1 s)
     * (net/netfilter/ipvs/ip_vs_sync.c). Stopping the daemon throws away what it holds, so a director that stops
     * being master keeps its master daemon this long, and one that becomes master keeps its backup daemon this
     * long for the old master's last messages.
     */
    public static final long FLUSH_WINDOW_NANOS = 3_000_000_000L;

    private static SyncDaemon daemon(SyncDaemonConfig c, SyncDaemon.Role role) {
        return new SyncDaemon(role, c.interfaceName(), c.syncId(), c.maxlen(), c.group(), c.port(), c.ttl());
    }

    /**
     * The steps from {@code actual} (as the kernel reports it) to {@code desired}: starts first, then stops; a
     * changed daemon is stopped just before it is started again. With sync enabled lvsd owns both roles: a
     * daemon in a role it does not want is stopped, whoever started it.
     */
    public static List<Step> plan(List<SyncDaemon> actual, List<SyncDaemon> desired) {
        Map<SyncDaemon.Role, SyncDaemon> have = byRole(actual);
        Map<SyncDaemon.Role, SyncDaemon> want = byRole(desired);
        List<Step> steps = new ArrayList<>();
        for (SyncDaemon w : want.values()) {
            SyncDaemon h = have.get(w.role());
            if (h == null) {
                steps.add(new Step(Action.START, w));
            } else if (!matches(h, w)) {
                steps.add(new Step(Action.STOP, h));
                steps.add(new Step(Action.START, w));
            }
        }
        for (SyncDaemon h : have.values()) {
            if (!want.containsKey(h.role())) {
                steps.add(new Step(Action.STOP, h));
            }
        }
        return steps;
    }

    /**
     * True when the running daemon {@code have} has every setting {@code want} asks for. A setting left to the
     * kernel in {@code want} (maxlen 0, no group, port 0, ttl 0) matches whatever the kernel chose.
     */
    static boolean matches(SyncDaemon have, SyncDaemon want) {
        return have.interfaceName().equals(want.interfaceName()) && have.syncId() == want.syncId()
                && (want.maxlen() == 0 || have.maxlen() == want.maxlen())
                && (want.group() == null || want.group().equals(have.group()))
                && (want.port() == 0 || have.port() == want.port())
                && (want.ttl() == 0 || have.ttl() == want.ttl());
    }

    private static Map<SyncDaemon.Role, SyncDaemon> byRole(List<SyncDaemon> daemons) {
        Map<SyncDaemon.Role, SyncDaemon> m = new EnumMap<>(SyncDaemon.Role.class);
        for (SyncDaemon d : daemons) {
            m.put(d.role(), d);
        }
        return m;
    }

    /** What applying a plan did: the steps done, and the first failure (after which nothing more was tried). */
    public record Outcome(List<Step> done, Step failed, String error) {
        public Outcome {
            done = List.copyOf(done);
        }

        public boolean ok() {
            return failed == null;
        }
    }

    /**
     * Reads the running daemons, plans, and carries the plan out in order. It stops at the first failure: a later
     * stop must not run when the start it was meant to follow did not happen.
     *
     * @throws IOException when the running daemons cannot be read
     */
    public static Outcome apply(IpvsClient client, List<SyncDaemon> desired) throws IOException {
        List<Step> done = new ArrayList<>();
        for (Step s : plan(client.daemons(), desired)) {
            try {
                if (s.action() == Action.START) {
                    client.startDaemon(s.daemon());
                } else {
                    client.stopDaemon(s.daemon().role());
                }
                done.add(s);
            } catch (IOException | RuntimeException e) {
                return new Outcome(done, s, e.getMessage());
            }
        }
        return new Outcome(done, null, null);
    }

    /** {@code eth1, sync-id 7} and any setting not left to the kernel. */
    public static String describe(SyncDaemon d) {
        StringBuilder b = new StringBuilder(d.interfaceName()).append(", sync-id ").append(d.syncId());
        if (d.group() != null) {
            b.append(", group ").append(d.group().getHostAddress());
        }
        if (d.port() != 0) {
            b.append(", port ").append(d.port());
        }
        if (d.maxlen() != 0) {
            b.append(", maxlen ").append(d.maxlen());
        }
        if (d.ttl() != 0) {
            b.append(", ttl ").append(d.ttl());
        }
        return b.toString();
    }
}
