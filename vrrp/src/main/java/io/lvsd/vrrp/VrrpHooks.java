package io.lvsd.vrrp;

import java.net.InetAddress;
import java.util.List;

/**
 * What the VRRP module asks of the rest of the director. The controller implements it: it
 * sends the announcements (arp-announcer) and lets other components follow the state (e.g. the
 * connection-sync daemon role). Called from the VRRP threads; implementations must not block.
 */
public interface VrrpHooks {
    /** An address a new master now holds, on an interface with this index and MAC (null if none). */
    record Announce(String ifname, int ifindex, byte[] mac, InetAddress address) {
    }

    /** {@code instance} became master and its addresses are in place: announce them. */
    void announce(String instance, List<Announce> targets);

    /**
     * A backup rehearses its takeover: build what {@link #announce} would send for {@code targets}, and send and
     * change nothing, so that the code is loaded before a takeover runs it.
     */
    default void rehearseAnnounce(String instance, List<Announce> targets) {
    }

    /**
     * {@code instance} is master and a reload changed its addresses: it now holds {@code all}, and {@code added}
     * (already in place) are to be announced.
     */
    default void addressesChanged(String instance, List<Announce> all, List<Announce> added) {
    }

    /** A master heard a lower-priority master (split brain): announce again at once. */
    void reannounce(String instance);

    /** {@code instance} is no longer master: stop announcing. */
    void withdraw(String instance);

    /** Any state change of an instance. */
    void transition(String instance, VrrpState from, VrrpState to, String reason);

    /** Asked before any instance preempts a lower-priority master; open by default. */
    default PreemptGate preemptGate() {
        return PreemptGate.OPEN;
    }
}
