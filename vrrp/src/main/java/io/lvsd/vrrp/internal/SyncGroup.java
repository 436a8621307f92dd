package io.lvsd.vrrp.internal;

import io.lvsd.vrrp.internal.VrrpStateMachine.Action;
import io.lvsd.vrrp.VrrpState;
import io.lvsd.vrrp.internal.VrrpStateMachine.Transition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Instances that change state together (keepalived's vrrp_sync_group), e.g. the outside VIP and
 * the inside gateway of an LVS-NAT director: when one member becomes MASTER or BACKUP the others
 * follow; a FAULT in one faults them all; they rejoin when no member is faulted any more. Pure,
 * like the state machines it holds.
 */
public final class SyncGroup {
    private final String name;
    private final Map<String, VrrpStateMachine> members = new LinkedHashMap<>();
    private final Map<String, String> faulted = new LinkedHashMap<>();

    public SyncGroup(String name, Map<String, VrrpStateMachine> members) {
        this.name = name;
        this.members.putAll(members);
    }

    /**
     * Passes on what one member's machine just did; returns every member's resulting actions
     * (the member's own first). Only the member's own transition propagates: forced ones do not
     * cascade.
     */
    public Map<String, List<Action>> after(String member, List<Action> actions, long now) {
        Map<String, List<Action>> out = new LinkedHashMap<>();
        out.put(member, new ArrayList<>(actions));
        for (Action a : actions) {
            if (!(a instanceof Transition t)) {
                continue;
            }
            String why = "sync group " + name + ": " + member + " is " + t.to();
            for (Map.Entry<String, VrrpStateMachine> e : members.entrySet()) {
                if (e.getKey().equals(member)) {
                    continue;
                }
                List<Action> forced = switch (t.to()) {
                    case MASTER -> e.getValue().forceMaster(now, why);
                    case BACKUP -> t.from() == VrrpState.MASTER ? e.getValue().forceBackup(now, why) : List.of();
                    default -> List.of();
                };
                out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(forced);
            }
        }
        return out;
    }

    /**
     * Whether {@code member}'s Master_Down_Timer may take the group to MASTER at {@code now}:
     * returns 0 if so, else the time to wait until, the latest deadline of the other members
     * that are BACKUP and still hear a master. A group goes master only when every member's
     * timer has run out; otherwise a member whose peer simply stopped would drag the others
     * away from a live master, and back, forever. Waiting for the latest deadline (rather than
     * a fresh interval) lets members whose timers merely run out of phase all agree.
     */
    public long blockedUntil(String member, long now) {
        long until = 0;
        for (Map.Entry<String, VrrpStateMachine> e : members.entrySet()) {
            VrrpStateMachine m = e.getValue();
            if (!e.getKey().equals(member) && m.state() == VrrpState.BACKUP && m.nextDeadline() > now) {
                until = Math.max(until, m.nextDeadline());
            }
        }
        return until;
    }

    /** A member's tracking reports a fault: every member leaves the election. */
    public Map<String, List<Action>> fault(String member, String reason, long now) {
        faulted.put(member, reason);
        Map<String, List<Action>> out = new LinkedHashMap<>();
        for (Map.Entry<String, VrrpStateMachine> e : members.entrySet()) {
            String why = e.getKey().equals(member) ? reason : "sync group " + name + ": " + member + " faulted (" + reason + ")";
            out.put(e.getKey(), e.getValue().fault(now, why));
        }
        return out;
    }

    /** A member's fault is gone; the group rejoins when no member is faulted. */
    public Map<String, List<Action>> faultCleared(String member, String reason, long now) {
        faulted.remove(member);
        Map<String, List<Action>> out = new LinkedHashMap<>();
        if (!faulted.isEmpty()) {
            return out;
        }
        for (Map.Entry<String, VrrpStateMachine> e : members.entrySet()) {
            out.put(e.getKey(), e.getValue().faultCleared(now, "sync group " + name + ": " + reason));
        }
        return out;
    }
}
