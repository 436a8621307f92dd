package io.lvsd.vrrp.internal;

import io.lvsd.linux.proc.Command;
import io.lvsd.linux.proc.ScriptRunner;
import io.lvsd.vrrp.NotifyCommands;
import io.lvsd.vrrp.SyncGroupConfig;
import io.lvsd.vrrp.VrrpState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notify scripts, keepalived's way: a state's own command ({@code notify_master}, {@code _backup}, {@code _fault},
 * {@code _stop}) and then the generic one ({@code notify}) with {@code INSTANCE|GROUP name STATE priority}. One
 * instance's notifications run in order, chained: MASTER's script finishes before BACKUP's starts. Used on the VRRP
 * loop only; the scripts themselves run on {@link ScriptRunner}'s pool.
 */
final class NotifyScripts {
    private static final Logger log = LoggerFactory.getLogger(VrrpRuntime.class);

    /** A reload may replace them: a notification waiting its turn uses the ones in force when it was queued. */
    private ScriptRunner runner;
    private Duration timeout;

    NotifyScripts(ScriptRunner runner, Duration timeout) {
        this.runner = runner;
        this.timeout = timeout;
    }

    /** The script settings from the next notification (and track script run) on. */
    void settings(ScriptRunner r, Duration t) {
        runner = r;
        timeout = t;
    }

    /** The runner in force, which track scripts use too. */
    ScriptRunner runner() {
        return runner;
    }

    /** An instance's notifications of {@code to}, after those already on {@code chain}; returns the new chain. */
    CompletableFuture<?> instance(CompletableFuture<?> chain, String name, NotifyCommands n, VrrpState to,
                                  int priority) {
        return notify(chain, name, n, to, List.of("INSTANCE", name, stateWord(to), Integer.toString(priority)));
    }

    /** A sync group's notifications, now that all its members are {@code to}, on its first member's chain. */
    CompletableFuture<?> group(CompletableFuture<?> chain, SyncGroupConfig g, VrrpState to, int priority) {
        return notify(chain, g.name(), g.notifyCommands(), to, List.of("GROUP", g.name(), stateWord(to),
                Integer.toString(priority)));
    }

    private CompletableFuture<?> notify(CompletableFuture<?> chain, String who, NotifyCommands n, VrrpState to,
                                        List<String> anyArgs) {
        Command own = forState(n, to);
        if (own != null) {
            chain = run(chain, who, own, List.of());
        }
        if (n.any() != null) {
            chain = run(chain, who, n.any(), anyArgs);
        }
        return chain;
    }

    private CompletableFuture<?> run(CompletableFuture<?> chain, String who, Command c, List<String> args) {
        ScriptRunner r = runner;
        Duration t = timeout;
        return chain.thenCompose(x -> r.run(c, args, t)).whenComplete((res, ex) -> {
            if (ex != null || !res.ok()) {
                log.warn("{}: notify {} failed: {}", who, c, ex != null ? ex.toString() : res.describe());
            }
        }).exceptionally(ex -> null);
    }

    /** Which notify command a state calls. */
    static Command forState(NotifyCommands n, VrrpState s) {
        return switch (s) {
            case MASTER -> n.master();
            case BACKUP -> n.backup();
            case FAULT -> n.fault();
            case INIT -> n.stop();
        };
    }

    /** keepalived's words for the generic notify script. */
    static String stateWord(VrrpState s) {
        return s == VrrpState.INIT ? "STOP" : s.name();
    }
}
