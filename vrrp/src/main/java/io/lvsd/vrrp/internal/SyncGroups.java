package io.lvsd.vrrp.internal;

import io.lvsd.vrrp.SyncGroupConfig;
import io.lvsd.vrrp.VrrpState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The running sync groups and which instance belongs to which, on the VRRP loop only: rebuilt around the running
 * instances at start and at each reload, without restarting a member; and when a group's members all reach one
 * state, the group's notification is due once.
 */
final class SyncGroups {
    private final Map<String, SyncGroup> groups = new HashMap<>();
    private final Map<String, SyncGroupConfig> configs = new HashMap<>();
    private final Map<String, String> groupOf = new HashMap<>();
    /** The state each group last notified, so that a group notifies once per state it settles in. */
    private final Map<String, VrrpState> notified = new HashMap<>();

    /**
     * Rebuilds the groups of {@code wanted}: a group whose configuration and members are the same keeps its object
     * (and what it knows of faults); one that {@code changed} names, that is new, or that has a member just
     * {@code started}, is built anew around the members' running state machines ({@code machine}). Returns the
     * groups built anew, which have yet to learn their members' faults.
     */
    List<SyncGroup> rebuild(Collection<SyncGroupConfig> wanted, Set<String> changed, List<String> started,
                            Function<String, VrrpStateMachine> machine) {
        Map<String, SyncGroup> before = new HashMap<>(groups);
        groups.clear();
        groupOf.clear();
        configs.clear();
        List<SyncGroup> fresh = new ArrayList<>();
        for (SyncGroupConfig g : wanted) {
            SyncGroup sg = before.get(g.name());
            if (sg == null || changed.contains(g.name()) || g.instances().stream().anyMatch(started::contains)) {
                Map<String, VrrpStateMachine> members = new LinkedHashMap<>();
                g.instances().forEach(m -> members.put(m, machine.apply(m)));
                sg = new SyncGroup(g.name(), members);
                notified.remove(g.name());
                fresh.add(sg);
            }
            groups.put(g.name(), sg);
            configs.put(g.name(), g);
            for (String m : g.instances()) {
                groupOf.put(m, g.name());
            }
        }
        notified.keySet().retainAll(groups.keySet());
        return fresh;
    }

    /** The group {@code instance} belongs to, or null. */
    SyncGroup of(String instance) {
        String g = groupOf.get(instance);
        return g == null ? null : groups.get(g);
    }

    /** The group called {@code group}, or null. */
    SyncGroup named(String group) {
        return groups.get(group);
    }

    /** The name of the group {@code instance} belongs to, or null. */
    String nameOf(String instance) {
        return groupOf.get(instance);
    }

    SyncGroupConfig config(String group) {
        return configs.get(group);
    }

    /**
     * The state every member of {@code group} is in now ({@code state}: a member's state, null when it is not
     * running), when they agree and the group has not yet notified it; otherwise null.
     */
    VrrpState settled(String group, Function<String, VrrpState> state) {
        SyncGroupConfig g = configs.get(group);
        if (g == null) {
            return null;
        }
        VrrpState common = null;
        for (String m : g.instances()) {
            VrrpState s = state.apply(m);
            if (s == null || (common != null && common != s)) {
                return null;
            }
            common = s;
        }
        if (common == null || notified.put(group, common) == common) {
            return null;
        }
        return common;
    }
}
