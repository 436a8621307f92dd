package io.lvsd.controller.cli;

import io.lvsd.controller.Main;
import io.lvsd.controller.daemon.InstanceLock;
import io.lvsd.ipvs.ApplyResult;
import io.lvsd.ipvs.InMemoryIpvsClient;
import io.lvsd.ipvs.IpvsClient;
import io.lvsd.ipvs.IpvsOp;
import io.lvsd.ipvs.IpvsTimeouts;
import io.lvsd.ipvs.IpvsUnavailableException;
import io.lvsd.ipvs.IpvsadmFormat;
import io.lvsd.ipvs.NetlinkIpvsClient;
import io.lvsd.ipvs.ServiceState;
import io.lvsd.linux.net.IpAddresses;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lvsd ipvs ...}: the kernel's IPVS table, the way ipvsadm shows and changes it. */
@Command(name = "ipvs", mixinStandardHelpOptions = true,
        description = {"Show or change the kernel's IPVS table over generic netlink, in ipvsadm's formats."},
        subcommands = {IpvsCommand.ListCmd.class, IpvsCommand.SaveCmd.class, IpvsCommand.RestoreCmd.class,
                IpvsCommand.FlushCmd.class, IpvsCommand.TimeoutsCmd.class},
        footer = {"", "Examples:", "  lvsd ipvs list --stats", "  lvsd ipvs save > rules", "  lvsd ipvs restore --dry-run < rules",
                "", "Exit codes: 0 success, 1 failure, 2 bad usage, 3 IPVS not available in this kernel."})
public final class IpvsCommand implements Callable<Integer> {
    /** Exit code when the kernel has no IPVS. */
    public static final int EXIT_NO_IPVS = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.EXIT_USAGE;
    }

    /** Opens the client, runs {@code body}, and turns failures into one sentence and an exit code. */
    static int withClient(CommandLine.Model.CommandSpec spec, ClientBody body) {
        PrintWriter err = spec.commandLine().getErr();
        try (IpvsClient c = NetlinkIpvsClient.open()) {
            return body.run(c, spec.commandLine().getOut(), err);
        } catch (IpvsUnavailableException e) {
            err.println("lvsd ipvs: " + e.getMessage());
            return EXIT_NO_IPVS;
        } catch (IOException e) {
            err.println("lvsd ipvs: " + e.getMessage());
            return Main.EXIT_FAILURE;
        } finally {
            spec.commandLine().getOut().flush();
            err.flush();
        }
    }

    /**
     * A change to the table while an {@code lvsd run} owns it is undone or fought at its next drift check: refuse it,
     * saying why, unless {@code --force}. Returns the exit code to stop with, or -1 to go on.
     */
    static int refuseWhileDaemonRuns(CommandLine.Model.CommandSpec spec, String command, boolean force) {
        PrintWriter err = spec.commandLine().getErr();
        java.nio.file.Path f = InstanceLock.file(InstanceLock.directory(System.getenv()));
        java.util.OptionalLong pid;
        try {
            pid = InstanceLock.holder(f);
        } catch (IOException e) {
            pid = java.util.OptionalLong.empty(); // an unreadable lock file is no running daemon's
        }
        if (pid.isEmpty()) {
            return -1;
        }
        if (force) {
            err.println("lvsd ipvs " + command + ": lvsd (pid " + pid.getAsLong() + ") runs in this network namespace; "
                    + "going on (--force): its next drift check may undo this");
            err.flush();
            return -1;
        }
        err.println("lvsd ipvs " + command + ": refused: lvsd (pid " + pid.getAsLong() + ") runs in this network "
                + "namespace and owns its IPVS table; it would undo or fight this change at its next drift check. "
                + "Change its configuration and reload it (systemctl reload lvsd), stop it first, or add --force");
        err.flush();
        return Main.EXIT_FAILURE;
    }

    interface ClientBody {
        int run(IpvsClient client, PrintWriter out, PrintWriter err) throws IOException;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the table in ipvsadm -Ln's layout.",
            footer = {"", "Examples:", "  lvsd ipvs list", "  lvsd ipvs list --rate", "  lvsd ipvs list --connections"})
    static final class ListCmd implements Callable<Integer> {
        @CommandLine.ArgGroup(exclusive = true)
        Mode mode;

        static final class Mode {
            @Option(names = "--stats", description = "Counters: connections, packets, bytes.")
            boolean stats;
            @Option(names = "--rate", description = "Rates: connections, packets and bytes per second.")
            boolean rate;
            @Option(names = {"-c", "--connections"}, description = "The connection table (/proc/net/ip_vs_conn).")
            boolean connections;
        }

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (mode != null && mode.connections) {
                return connections(spec);
            }
            IpvsadmFormat.ListMode m = mode == null ? IpvsadmFormat.ListMode.PLAIN
                    : mode.stats ? IpvsadmFormat.ListMode.STATS : IpvsadmFormat.ListMode.RATE;
            return withClient(spec, (c, out, err) -> {
                out.print(IpvsadmFormat.list(c.info(), c.dump(), m));
                return 0;
            });
        }
    }

    /** ipvsadm -Lnc's layout, from /proc/net/ip_vs_conn. */
    static int connections(CommandLine.Model.CommandSpec spec) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path p = io.lvsd.sync.ConnTable.procFile();
        if (!Files.exists(p)) {
            err.println("lvsd ipvs: " + IpvsUnavailableException.MESSAGE);
            return EXIT_NO_IPVS;
        }
        try {
            out.println("IPVS connection entries");
            out.println("pro expire state       source             virtual            destination");
            io.lvsd.sync.ConnTable.read(p, e -> out.printf(Locale.ROOT, "%-3s %02d:%02d  %-11s %-18s %-18s %s%n",
                    switch (e.protocol()) {
                        case 6 -> "TCP";
                        case 17 -> "UDP";
                        case 132 -> "SCTP";
                        default -> "IP";
                    },
                    e.expiresSeconds() / 60, e.expiresSeconds() % 60, e.state(), endpoint(e.client(), e.clientPort()),
                    endpoint(e.virtual(), e.virtualPort()), endpoint(e.real(), e.realPort())));
            out.flush();
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("lvsd ipvs: reading " + p + ": " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
    }

    private static String endpoint(java.net.InetAddress a, int port) {
        return IpAddresses.format(new java.net.InetSocketAddress(a, port));
    }

    @Command(name = "save", mixinStandardHelpOptions = true,
            description = "Print the table as rules, byte for byte what ipvsadm -Sn prints.",
            footer = {"", "Example:", "  lvsd ipvs save > /etc/lvsd/ipvs.rules"})
    static final class SaveCmd implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return withClient(spec, (c, out, err) -> {
                out.print(IpvsadmFormat.save(c.dump()));
                return 0;
            });
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"Read rules in ipvsadm -R's format from standard input and apply them.",
                    "Every line is checked first, then the whole script is tried against a copy of the current",
                    "table: one bad line is reported with its number and nothing is applied. The rest goes to the",
                    "kernel in pipelined netlink batches."},
            footer = {"", "Examples:", "  lvsd ipvs restore < rules", "  ipvsadm -Sn | lvsd ipvs restore --dry-run"})
    public static final class RestoreCmd implements Callable<Integer> {
        @Option(names = "--dry-run", description = "Check everything, apply nothing.")
        boolean dryRun;

        @Option(names = "--force", description = "Apply even while lvsd runs in this network namespace.")
        boolean force;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        public InputStream in = System.in;

        @Override
        public Integer call() throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            if (!dryRun) {
                int refused = refuseWhileDaemonRuns(spec, "restore", force);
                if (refused >= 0) {
                    return refused;
                }
            }
            IpvsadmFormat.Restore script;
            try {
                script = IpvsadmFormat.parseRestore(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IpvsadmFormat.RestoreException e) {
                for (String p : e.problems()) {
                    err.println("lvsd ipvs restore: " + p);
                }
                err.println("lvsd ipvs restore: nothing applied");
                err.flush();
                return Main.EXIT_FAILURE;
            }
            return withClient(spec, (c, out, e) -> restore(c, script, out, e));
        }

        private int restore(IpvsClient c, IpvsadmFormat.Restore script, PrintWriter out, PrintWriter err) throws IOException {
            List<String> problems = simulate(c.dump(), script);
            if (!problems.isEmpty()) {
                problems.forEach(p -> err.println("lvsd ipvs restore: " + p));
                err.println("lvsd ipvs restore: nothing applied");
                return Main.EXIT_FAILURE;
            }
            long count = script.steps().size();
            if (dryRun) {
                out.println(count + " command(s) checked against the current table; nothing applied (--dry-run)");
                return 0;
            }
            List<IpvsOp> batch = new ArrayList<>();
            List<Integer> lines = new ArrayList<>();
            int failed = 0;
            for (IpvsadmFormat.Restore.Step s : script.steps()) {
                if (s.flush()) {
                    failed += flushBatch(c, batch, lines, err);
                    c.flush();
                } else {
                    batch.add(s.op());
                    lines.add(s.line());
                }
            }
            failed += flushBatch(c, batch, lines, err);
            return failed == 0 ? 0 : Main.EXIT_FAILURE;
        }

        private static int flushBatch(IpvsClient c, List<IpvsOp> batch, List<Integer> lines, PrintWriter err) throws IOException {
            if (batch.isEmpty()) {
                return 0;
            }
            ApplyResult r = c.apply(List.copyOf(batch));
            int failed = 0;
            for (int i = 0; i < r.outcomes().size(); i++) {
                if (!r.outcomes().get(i).applied()) {
                    err.println("lvsd ipvs restore: line " + lines.get(i) + ": " + r.outcomes().get(i).describe());
                    failed++;
                }
            }
            batch.clear();
            lines.clear();
            return failed;
        }

        private static void check(InMemoryIpvsClient copy, List<IpvsadmFormat.Restore.Step> segment, List<String> problems) {
            ApplyResult r = copy.apply(segment.stream().map(IpvsadmFormat.Restore.Step::op).toList());
            for (int i = 0; i < segment.size(); i++) {
                ApplyResult.Outcome o = r.outcomes().get(i);
                if (!o.applied()) {
                    problems.add("line " + segment.get(i).line() + ": " + o.describe());
                }
            }
            segment.clear();
        }

        /** Runs the script against an in-memory copy of the table; returns one problem per failing line. */
        static List<String> simulate(List<ServiceState> current, IpvsadmFormat.Restore script) {
            InMemoryIpvsClient copy = new InMemoryIpvsClient();
            List<IpvsOp> load = new ArrayList<>();
            for (ServiceState s : current) {
                load.add(new IpvsOp.AddService(s.service()));
                s.destinations().forEach(d -> load.add(new IpvsOp.AddDest(s.service().key(), d.destination())));
            }
            copy.apply(load);
            List<String> problems = new ArrayList<>();
            List<IpvsadmFormat.Restore.Step> segment = new ArrayList<>();
            for (IpvsadmFormat.Restore.Step s : script.steps()) {
                if (s.flush()) {
                    check(copy, segment, problems);
                    copy.flush();
                } else {
                    segment.add(s);
                }
            }
            check(copy, segment, problems);
            return problems;
        }
    }

    @Command(name = "flush", mixinStandardHelpOptions = true, description = "Delete every virtual service (ipvsadm -C).",
            footer = {"", "Example:", "  lvsd ipvs flush"})
    static final class FlushCmd implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--force", description = "Flush even while lvsd runs in this network namespace.")
        boolean force;

        @Override
        public Integer call() {
            int refused = refuseWhileDaemonRuns(spec, "flush", force);
            if (refused >= 0) {
                return refused;
            }
            return withClient(spec, (c, out, err) -> {
                c.flush();
                return 0;
            });
        }
    }

    @Command(name = "timeouts", mixinStandardHelpOptions = true,
            description = {"Show the TCP, TCP FIN and UDP connection timeouts, or set them (0 keeps a value)."},
            footer = {"", "Examples:", "  lvsd ipvs timeouts", "  lvsd ipvs timeouts --set 900 120 300"})
    static final class TimeoutsCmd implements Callable<Integer> {
        @Option(names = "--set", arity = "3", paramLabel = "SECONDS", description = "tcp tcpfin udp, in seconds")
        long[] set;

        @Option(names = "--force", description = "Set even while lvsd runs in this network namespace.")
        boolean force;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (set != null) {
                for (long v : set) {
                    if (v < 0 || v > Integer.MAX_VALUE) {
                        spec.commandLine().getErr().println("lvsd ipvs timeouts: --set: " + v + " (expected 0-" + Integer.MAX_VALUE + ")");
                        return Main.EXIT_USAGE;
                    }
                }
                int refused = refuseWhileDaemonRuns(spec, "timeouts --set", force);
                if (refused >= 0) {
                    return refused;
                }
            }
            return withClient(spec, (c, out, err) -> {
                if (set != null) {
                    c.setTimeouts(new IpvsTimeouts(d(set[0]), d(set[1]), d(set[2])));
                }
                IpvsTimeouts t = c.timeouts();
                out.println("Timeout (tcp tcpfin udp): " + s(t.tcp()) + " " + s(t.tcpFin()) + " " + s(t.udp()));
                return 0;
            });
        }

        private static Duration d(long seconds) {
            return seconds == 0 ? null : Duration.ofSeconds(seconds);
        }

        private static long s(Duration d) {
            return d == null ? 0 : d.toSeconds();
        }
    }
}
