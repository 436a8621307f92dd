package io.lvsd.controller.cli;

import io.lvsd.controller.Main;
import io.lvsd.controller.config.RoutingConfig;
import io.lvsd.controller.daemon.InstanceLock;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.routing.KernelVipRoutes;
import io.lvsd.routing.VipRoutes;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lvsd routing drain|resume|withdraw}: the director's VIP announcements (active-active directors behind ECMP).
 * drain and resume go to the running daemon over its control socket; withdraw removes the announcement routes of a
 * daemon that is gone (the unit's {@code ExecStopPost} schedules it after a crash).
 */
@Command(name = "routing", mixinStandardHelpOptions = true,
        description = {"The VIP announcements of a director behind a router's ECMP (routing.enabled = true).",
                "drain: withdraw every VIP (the director goes on forwarding what still reaches it, so existing",
                "connections finish through the others); resume: announce again what is healthy; withdraw:",
                "remove the announcement routes a stopped or crashed lvsd left (the routing daemon then withdraws",
                "them), unless an lvsd runs in this network namespace (--unless-running)."},
        footer = {"", "Examples:",
                "  lvsd routing drain",
                "  lvsd routing resume -f /etc/lvsd/lvsd.conf",
                "  lvsd routing withdraw --unless-running",
                "", "The same over HTTP: curl --unix-socket SOCKET -X POST http://lvsd/director/drain",
                "", "Exit codes: 0 done (or left alone: an lvsd runs); 1 refused, no daemon, or a route could not be "
                        + "removed; 2 bad usage."})
public final class RoutingCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "ACTION", description = "drain, resume or withdraw")
    String action;

    @Option(names = {"-f", "--config"}, paramLabel = "FILE",
            description = "The daemon's configuration file, for its control socket and routing table (default: "
                    + "/etc/lvsd/lvsd.conf when it exists).")
    Path file;

    @Option(names = "--socket", paramLabel = "PATH", description = "drain, resume: the control socket, instead of "
            + "the file's.")
    Path socket;

    @Option(names = "--unless-running", description = "withdraw: do nothing when an lvsd runs in this network "
            + "namespace (it owns its routes).")
    boolean unlessRunning;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "drain, resume: how long to wait for the daemon (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (action == null) {
            spec.commandLine().usage(err);
            return Main.EXIT_USAGE;
        }
        switch (action) {
            case "drain", "resume" -> {
                return post(out, err);
            }
            case "withdraw" -> {
                return withdraw(out, err);
            }
            default -> {
                err.println("lvsd routing: " + action + ": unknown action (expected drain, resume or withdraw)");
                return Main.EXIT_USAGE;
            }
        }
    }

    private int post(PrintWriter out, PrintWriter err) {
        Path path = RealServerCommand.controlSocket(file, socket, err, "lvsd routing");
        if (path == null) {
            return Main.EXIT_FAILURE;
        }
        return RealServerCommand.postAndPrint(path, "/director/" + action, timeoutSeconds, "lvsd routing", out, err);
    }

    private int withdraw(PrintWriter out, PrintWriter err) throws Exception {
        StatusCommand.DaemonFile d = StatusCommand.daemonFile(file, err, "lvsd routing withdraw", "routing table",
                "a valid -f FILE");
        if (d.invalid()) {
            return Main.EXIT_FAILURE;
        }
        RoutingConfig r = d.config() != null ? d.config().routing() : RoutingConfig.OFF;
        if (d.config() != null && !r.enabled()) {
            out.println("lvsd routing withdraw: routing is off in " + d.config().source() + ": nothing to withdraw");
            out.flush();
            return 0;
        }
        if (unlessRunning) {
            Path lock = InstanceLock.file(InstanceLock.directory(System.getenv()));
            OptionalLong pid = InstanceLock.holder(lock);
            if (pid.isPresent()) {
                out.println("lvsd routing withdraw: lvsd runs (pid " + pid.getAsLong() + ") and owns its routes: left "
                        + "alone");
                out.flush();
                return 0;
            }
        }
        List<String> done = new ArrayList<>();
        try (KernelVipRoutes routes = KernelVipRoutes.open(r.table(), r.protocol())) {
            for (InetAddress vip : routes.list(VipRoutes.Kind.ANNOUNCE)) {
                routes.delete(VipRoutes.Kind.ANNOUNCE, vip);
                done.add(IpAddresses.text(vip));
            }
        } catch (java.io.IOException e) {
            err.println("lvsd routing withdraw: table " + r.table() + " protocol " + r.protocol() + ": "
                    + e.getMessage() + (done.isEmpty() ? "" : " (withdrawn before that: " + String.join(", ", done)
                    + ")"));
            return Main.EXIT_FAILURE;
        }
        out.println(done.isEmpty() ? "lvsd routing withdraw: no announcement in table " + r.table() + " (protocol "
                + r.protocol() + ")" : "lvsd routing withdraw: withdrew " + String.join(", ", done) + " from table "
                + r.table());
        out.flush();
        return 0;
    }
}
