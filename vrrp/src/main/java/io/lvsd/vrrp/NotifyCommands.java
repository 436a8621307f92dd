package io.lvsd.vrrp;

import io.lvsd.linux.proc.Command;

/**
 * Commands run when an instance or sync group changes state; each may be null. {@code any} is
 * called for every change with {@code INSTANCE|GROUP name STATE priority} appended.
 */
public record NotifyCommands(Command master, Command backup, Command fault, Command stop, Command any) {
    public static NotifyCommands none() {
        return new NotifyCommands(null, null, null, null, null);
    }
}
