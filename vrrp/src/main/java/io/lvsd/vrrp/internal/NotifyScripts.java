package io.lvsd.vrrp.internal;

import io.lvsd.linux.proc.Command;
import io.lvsd.vrrp.NotifyCommands;
import io.lvsd.vrrp.VrrpState;
import java.util.Optional;

/** Which notify command a state calls (keepalived's notify_master / _backup / _fault / _stop). */
final class NotifyScripts {
    private NotifyScripts() {
    }

    static Optional<Command> forState(NotifyCommands n, VrrpState s) {
        return Optional.ofNullable(switch (s) {
            case MASTER -> n.master();
            case BACKUP -> n.backup();
            case FAULT -> n.fault();
            case INIT -> n.stop();
        });
    }
}
