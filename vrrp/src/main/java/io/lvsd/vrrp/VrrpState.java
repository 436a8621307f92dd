package io.lvsd.vrrp;

/**
 * A VRRP instance's state (RFC 5798 §6.4). FAULT is keepalived's: a tracked interface, script or
 * file with weight 0 failed, and the instance left the election.
 */
public enum VrrpState {
    INIT, BACKUP, MASTER, FAULT
}
