package io.lvsd.vrrp.internal;

import io.lvsd.vrrp.SyncGroupConfig;
import io.lvsd.vrrp.TrackScriptConfig;
import io.lvsd.vrrp.VrrpConfig;
import io.lvsd.vrrp.VrrpInstanceConfig;
import io.lvsd.vrrp.VrrpInstanceConfig.VirtualAddress;
import io.lvsd.vrrp.VrrpState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a reload does to the running VRRP instances, decided from the old and the new configuration and the
 * instances' current states: pure, so that every kind of edit is tested on its own. The runtime carries the
 * changes out on its loop.
 *
 * <p>The rule: a running instance is changed in place, and its state machine keeps its state and timers. Only a
 * change of its identity (interface, VRID, address family or version) replaces it, through the graceful path
 * (priority 0 while master, then a fresh start), since its adverts would then belong to another virtual router.
 *
 * <table>
 *   <caption>Edits and their effect</caption>
 *   <tr><th>edit</th><th>effect</th></tr>
 *   <tr><td>priority</td><td>{@link Priority}: the next advert carries it (a master sends one at once); a state
 *   change only where the protocol demands one</td></tr>
 *   <tr><td>VIPs</td><td>{@link Addresses}: a master adds, removes or replaces just those and announces only the
 *   new; adverts list the new set</td></tr>
 *   <tr><td>advert interval</td><td>{@link AdvertInterval}: from the next advert; v3 backups follow the master's
 *   interval anyway (RFC 5798 §6.4.2)</td></tr>
 *   <tr><td>v2 interval or password</td><td>{@link AdvertInterval} / {@link Password}, plus a rollout
 *   {@link #advice}: RFC 3768 §7.1 makes the peers drop each other's adverts while they differ</td></tr>
 *   <tr><td>preempt, preempt-delay, unicast peers or source, notify, checksum</td><td>{@link Settings}</td></tr>
 *   <tr><td>what an instance tracks</td><td>{@link Tracking}: the effective priority is recomputed</td></tr>
 *   <tr><td>track scripts</td><td>{@link TrackScriptAdded}, {@link TrackScriptRemoved},
 *   {@link TrackScriptChanged}; an unchanged script keeps running with its rise/fall state</td></tr>
 *   <tr><td>sync groups</td><td>{@link SyncGroups}: rebuilt around the running members</td></tr>
 *   <tr><td>instance added / removed</td><td>{@link Start} / {@link Stop}</td></tr>
 *   <tr><td>interface, VRID, family, version</td><td>{@link Restart}</td></tr>
 * </table>
 */
public final class ReloadPlan {
    /** One change to the running VRRP module. */
    public sealed interface Change {
        /** The instance, track script or sync group it is about. */
        String subject();

        /** A short name for counting: {@code lvsd_config_reload_actions_total{action}}. */
        String action();

        /** One line for the reload log and {@code /status}. */
        String describe();
    }

    /** A new instance: it starts as at startup (BACKUP, or MASTER as the address owner). */
    public record Start(String subject) implements Change {
        public String action() {
            return "start";
        }

        public String describe() {
            return subject + ": added; starts";
        }
    }

    /** A removed instance: it stops gracefully (priority 0 while master, VIPs removed). */
    public record Stop(String subject, VrrpState state) implements Change {
        public String action() {
            return "stop";
        }

        public String describe() {
            return subject + ": removed; stops" + (state == VrrpState.MASTER ? " (priority 0: a backup takes over)" : "");
        }
    }

    /** The instance's identity changed: it is stopped gracefully and started again. */
    public record Restart(String subject, String why) implements Change {
        public String action() {
            return "restart";
        }

        public String describe() {
            return subject + ": " + why + "; restarts (a new virtual router to its peers)";
        }
    }

    /** The configured priority changed. */
    public record Priority(String subject, int from, int to) implements Change {
        public String action() {
            return "priority";
        }

        public String describe() {
            return subject + ": priority " + from + " -> " + to;
        }
    }

    /**
     * The VIPs changed: {@code added} and {@code removed} (a changed prefix length or interface is both). A master
     * changes just these in the kernel ({@code kernel}); every state advertises the new list.
     */
    public record Addresses(String subject, List<VirtualAddress> added, List<VirtualAddress> removed, boolean kernel)
            implements Change {
        public Addresses {
            added = List.copyOf(added);
            removed = List.copyOf(removed);
        }

        public String action() {
            return "addresses";
        }

        public String describe() {
            return subject + ": virtual addresses" + (added.isEmpty() ? "" : " +" + text(added))
                    + (removed.isEmpty() ? "" : " -" + text(removed)) + (kernel ? " (master: changed now)" : "");
        }

        private static String text(List<VirtualAddress> l) {
            return l.stream().map(v -> v.prefix() + (v.interfaceName() == null ? "" : " dev " + v.interfaceName()))
                    .toList().toString();
        }
    }

    /** The advert interval changed: from the next advert on. */
    public record AdvertInterval(String subject, Duration from, Duration to) implements Change {
        public String action() {
            return "advert-interval";
        }

        public String describe() {
            return subject + ": advert interval " + from.toMillis() + " ms -> " + to.toMillis() + " ms";
        }
    }

    /** The v2 password changed (or was set or removed). */
    public record Password(String subject) implements Change {
        public String action() {
            return "password";
        }

        public String describe() {
            return subject + ": authentication password changed";
        }
    }

    /** Settings that take effect without a state change. */
    public record Settings(String subject, List<String> what) implements Change {
        public Settings {
            what = List.copyOf(what);
        }

        public String action() {
            return "settings";
        }

        public String describe() {
            return subject + ": " + String.join(", ", what) + " changed";
        }
    }

    /** What the instance tracks changed (interfaces, scripts, files or their weights). */
    public record Tracking(String subject) implements Change {
        public String action() {
            return "tracking";
        }

        public String describe() {
            return subject + ": tracking changed; effective priority recomputed";
        }
    }

    /** A track script that now runs (new, or newly referenced by an instance). */
    public record TrackScriptAdded(String subject) implements Change {
        public String action() {
            return "track-script-added";
        }

        public String describe() {
            return "track script " + subject + ": starts";
        }
    }

    /** A track script no instance refers to any more, or one removed. */
    public record TrackScriptRemoved(String subject) implements Change {
        public String action() {
            return "track-script-removed";
        }

        public String describe() {
            return "track script " + subject + ": stops";
        }
    }

    /** A running track script whose definition changed: it restarts, with its rise/fall counting. */
    public record TrackScriptChanged(String subject) implements Change {
        public String action() {
            return "track-script-changed";
        }

        public String describe() {
            return "track script " + subject + ": definition changed; restarts its counting";
        }
    }

    /** Sync groups are rebuilt around the running members (none restarts). */
    public record SyncGroups(String subject, List<String> changed) implements Change {
        public SyncGroups {
            changed = List.copyOf(changed);
        }

        public String action() {
            return "sync-groups";
        }

        public String describe() {
            return "sync groups " + changed + " changed; rebuilt around the running instances";
        }
    }

    private final List<Change> changes;
    private final List<String> advice;

    private ReloadPlan(List<Change> changes, List<String> advice) {
        this.changes = List.copyOf(changes);
        this.advice = List.copyOf(advice);
    }

    /** Every change, instances' restarts and stops first, then in configuration order. */
    public List<Change> changes() {
        return changes;
    }

    /** What the operator must know to roll this change out over a pair (logged at the reload). */
    public List<String> advice() {
        return advice;
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    /**
     * @param states the running instances' states; an instance absent here is not running
     */
    public static ReloadPlan plan(VrrpConfig prev, VrrpConfig next, Map<String, VrrpState> states) {
        List<Change> out = new ArrayList<>();
        List<Change> inPlace = new ArrayList<>();
        List<String> advice = new ArrayList<>();
        Set<String> restarted = new LinkedHashSet<>();
        for (Map.Entry<String, VrrpInstanceConfig> e : prev.instances().entrySet()) {
            String name = e.getKey();
            if (!states.containsKey(name)) {
                continue;
            }
            VrrpInstanceConfig n = next.instances().get(name);
            if (n == null) {
                out.add(new Stop(name, states.get(name)));
                continue;
            }
            String why = identityChange(e.getValue(), n);
            if (why != null) {
                out.add(new Restart(name, why));
                restarted.add(name);
            } else {
                inPlace(e.getValue(), n, states.get(name), inPlace, advice);
            }
        }
        out.addAll(inPlace);
        for (String name : next.instances().keySet()) {
            if (!states.containsKey(name)) {
                out.add(new Start(name));
            }
        }
        trackScripts(prev, next, out);
        List<String> groups = changedGroups(prev, next, restarted);
        if (!groups.isEmpty()) {
            out.add(new SyncGroups("", groups));
        }
        return new ReloadPlan(out, advice);
    }

    /** Why {@code a} and {@code b} are different virtual routers, or null when they are the same one. */
    static String identityChange(VrrpInstanceConfig a, VrrpInstanceConfig b) {
        if (!a.interfaceName().equals(b.interfaceName())) {
            return "interface " + a.interfaceName() + " -> " + b.interfaceName();
        }
        if (a.virtualRouterId() != b.virtualRouterId()) {
            return "virtual-router-id " + a.virtualRouterId() + " -> " + b.virtualRouterId();
        }
        if (a.family() != b.family()) {
            return "address family " + a.family() + " -> " + b.family();
        }
        if (a.version() != b.version()) {
            return "version " + a.version() + " -> " + b.version();
        }
        return null;
    }

    private static void inPlace(VrrpInstanceConfig a, VrrpInstanceConfig b, VrrpState state, List<Change> out,
                                List<String> advice) {
        String name = a.name();
        if (a.priority() != b.priority()) {
            out.add(new Priority(name, a.priority(), b.priority()));
        }
        if (!a.virtualAddresses().equals(b.virtualAddresses())) {
            List<VirtualAddress> added = new ArrayList<>(b.virtualAddresses());
            added.removeAll(a.virtualAddresses());
            List<VirtualAddress> removed = new ArrayList<>(a.virtualAddresses());
            removed.removeAll(b.virtualAddresses());
            if (!added.isEmpty() || !removed.isEmpty()) {
                out.add(new Addresses(name, added, removed, state == VrrpState.MASTER));
            } else {
                out.add(new Settings(name, List.of("virtual-addresses order")));
            }
        }
        if (!a.advertInterval().equals(b.advertInterval())) {
            out.add(new AdvertInterval(name, a.advertInterval(), b.advertInterval()));
            if (a.version() == 2) {
                advice.add(v2Advice(name, "advert-interval"));
            }
        }
        if (!Objects.equals(a.authPassword(), b.authPassword())) {
            out.add(new Password(name));
            if (a.version() == 2) {
                advice.add(v2Advice(name, "the password"));
            }
        }
        List<String> what = new ArrayList<>();
        if (a.preempt() != b.preempt()) {
            what.add("preempt");
        }
        if (!a.preemptDelay().equals(b.preemptDelay())) {
            what.add("preempt-delay");
        }
        if (!a.unicastPeers().equals(b.unicastPeers())) {
            what.add("unicast-peers");
        }
        if (a.unicastPeersCheck() != b.unicastPeersCheck()) {
            what.add("unicast-peers-check");
        }
        if (a.unicastMinTtl() != b.unicastMinTtl()) {
            what.add("unicast-min-ttl");
        }
        if (!Objects.equals(a.unicastSource(), b.unicastSource())) {
            what.add("unicast-source");
        }
        if (a.v3ChecksumPseudoHeader() != b.v3ChecksumPseudoHeader()) {
            what.add("v3-checksum-pseudo-header");
        }
        if (!a.notifyCommands().equals(b.notifyCommands())) {
            what.add("notify");
        }
        if (!what.isEmpty()) {
            out.add(new Settings(name, what));
        }
        if (!a.track().equals(b.track())) {
            out.add(new Tracking(name));
        }
    }

    /**
     * RFC 3768 §7.1: a v2 router discards adverts whose interval or password differ from its own. lvsd's new
     * configuration keeps accepting the previous value (see {@code VrrpRuntime}) until the master's adverts carry
     * the new one, which makes "backups first, master last" safe.
     */
    private static String v2Advice(String name, String what) {
        return name + ": VRRPv2 routers drop adverts whose " + what + " differs from their own (RFC 3768 §7.1). "
                + "Roll it out backups first, master last: lvsd keeps accepting the previous value from the master "
                + "until it hears the new one. A keepalived peer does not: change it within Master_Down_Interval of "
                + "this director, or it will take over";
    }

    private static void trackScripts(VrrpConfig prev, VrrpConfig next, List<Change> out) {
        Set<String> before = used(prev);
        Set<String> after = used(next);
        for (String s : before) {
            if (!after.contains(s)) {
                out.add(new TrackScriptRemoved(s));
            }
        }
        for (String s : after) {
            if (!before.contains(s)) {
                out.add(new TrackScriptAdded(s));
            } else if (!prev.trackScripts().get(s).equals(next.trackScripts().get(s))) {
                out.add(new TrackScriptChanged(s));
            }
        }
    }

    /** The track scripts that run: those defined and referred to by an instance (in definition order). */
    static Set<String> used(VrrpConfig c) {
        Set<String> out = new LinkedHashSet<>();
        for (TrackScriptConfig t : c.trackScripts().values()) {
            boolean referred = c.instances().values().stream()
                    .anyMatch(i -> i.track().scripts().stream().anyMatch(s -> s.name().equals(t.name())));
            if (referred) {
                out.add(t.name());
            }
        }
        return out;
    }

    /** Groups added, removed or changed, and groups with a restarted member. */
    private static List<String> changedGroups(VrrpConfig prev, VrrpConfig next, Set<String> restarted) {
        Set<String> out = new LinkedHashSet<>();
        for (SyncGroupConfig g : prev.syncGroups().values()) {
            SyncGroupConfig n = next.syncGroups().get(g.name());
            if (n == null || !n.equals(g)) {
                out.add(g.name());
            }
        }
        for (SyncGroupConfig g : next.syncGroups().values()) {
            if (!prev.syncGroups().containsKey(g.name())
                    || g.instances().stream().anyMatch(restarted::contains)) {
                out.add(g.name());
            }
        }
        return new ArrayList<>(out);
    }
}
