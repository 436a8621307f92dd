package io.lvsd.controller.cli;

import io.lvsd.controller.Main;
import io.lvsd.doctor.Finding;
import io.lvsd.doctor.LinuxRealServerHost;
import io.lvsd.doctor.RealServer;
import io.lvsd.doctor.RealServerHost;
import io.lvsd.doctor.Report;
import io.lvsd.doctor.Verdict;
import io.lvsd.linux.net.IpAddresses;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lvsd real-server check|setup}: a real server's side of LVS, on the real server. */
public final class RealServerSetupCommand {
    private RealServerSetupCommand() {
    }

    /** What both subcommands take. */
    static class Target {
        @Option(names = "--vip", required = true, split = ",", paramLabel = "IP[,IP...]", description = "The virtual addresses.")
        List<String> vips;

        @Option(names = "--forwarding", required = true, paramLabel = "dr|tun|nat", description = "The director's forwarding method.")
        String forwarding;

        @Option(names = "--director", paramLabel = "IP", description = "The director's address on this network (needed for nat).")
        String director;

        @Option(names = "--tun-type", paramLabel = "ipip|gue|gre", description = {"With tun: how the director encapsulates"
                + " (its real server's tunnel.type, ipvsadm's --tun-type; default: ipip)."})
        String tunType;

        @Option(names = "--tun-port", paramLabel = "N", description = "With --tun-type gue: the UDP port the director"
                + " sends GUE to (tunnel.port, ipvsadm's --tun-port).")
        Integer tunPort;

        /** The spec, or a usage error printed and {@code null}. */
        RealServer.Spec spec(PrintWriter err, String cmd) {
            try {
                List<InetAddress> v = new ArrayList<>();
                for (String s : vips) {
                    v.add(IpAddresses.parse(s.strip()));
                }
                RealServer.Forwarding f;
                try {
                    f = RealServer.Forwarding.valueOf(forwarding.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--forwarding: " + forwarding + " (expected dr, tun or nat)");
                }
                RealServer.TunType t = null;
                if (tunType != null) {
                    try {
                        t = RealServer.TunType.valueOf(tunType.toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("--tun-type: " + tunType + " (expected ipip, gue or gre)");
                    }
                }
                try {
                    return new RealServer.Spec(v, f, director == null ? null : IpAddresses.parse(director), t,
                            tunPort == null ? 0 : tunPort);
                } catch (IllegalArgumentException e) {
                    // The record's messages name its fields; here they are options.
                    String m = e.getMessage();
                    throw new IllegalArgumentException(m.startsWith("tun-") ? "--" + m : m);
                }
            } catch (IllegalArgumentException e) {
                err.println("lvsd real-server " + cmd + ": " + e.getMessage());
                return null;
            }
        }
    }

    /** Prints findings; returns 1 when one failed. */
    static int report(List<Finding> findings, PrintWriter out) {
        Report r = new Report("lvsd real-server check", "", findings);
        out.print(r.text());
        out.flush();
        return r.exitCode();
    }

    /** The --persist style asked for, or the one the host under {@code root} uses for "auto"; null when unknown. */
    static RealServer.Persistence persistence(String asked, Path root) {
        if (!asked.equals("auto")) {
            try {
                return RealServer.Persistence.valueOf(asked.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        if (Files.isDirectory(root.resolve("run/systemd/netif/links"))) {
            return RealServer.Persistence.NETWORKD;
        }
        return Files.exists(root.resolve("etc/network/interfaces")) ? RealServer.Persistence.IFUPDOWN : null;
    }

    /** {@code lvsd real-server check}. */
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Check this real server's side of LVS, changing nothing: for dr, the VIP on lo and the ARP",
                    "settings (arp_ignore, arp_announce, in force as the larger of 'all' and the interface's); for tun,",
                    "the tunnel's module and device up with the VIP (ipip: tunl0; an IPv6 VIP: ip6tnl0; gre: gre0 or",
                    "ip6gre0; gue: the fou module and a GUE receive port, then tunl0 or ip6tnl0), rp_filter and the ARP",
                    "settings; for nat, the default route through the director. Each line: ok/warn/fail, what was seen,",
                    "and the fix."},
            footer = {"", "Examples:", "  lvsd real-server check --vip 192.0.2.10 --forwarding dr",
                    "  lvsd real-server check --vip 192.0.2.10,2001:db8::10 --forwarding tun --tun-type gue --tun-port 5555",
                    "  lvsd real-server check --vip 192.0.2.10 --forwarding nat --director 10.0.0.1",
                    "", "Exit codes: 0 nothing fails; 1 something fails; 2 bad usage."})
    public static final class Check implements Callable<Integer> {
        @CommandLine.Mixin
        Target target = new Target();

        @Option(names = "--json", description = "Print the report as JSON (docs/doctor-report.schema.json).")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        RealServerHost host = new LinuxRealServerHost();

        @Override
        public Integer call() throws IOException {
            RealServer.Spec s = target.spec(spec.commandLine().getErr(), "check");
            if (s == null) {
                return Main.EXIT_USAGE;
            }
            List<Finding> findings = RealServer.check(host, s);
            if (!json) {
                return report(findings, spec.commandLine().getOut());
            }
            String subject = s.forwarding().name().toLowerCase(Locale.ROOT) + " "
                    + String.join(",", s.vips().stream().map(IpAddresses::text).toList());
            Report r = new Report("lvsd real-server check", subject, findings);
            spec.commandLine().getOut().print(r.json());
            spec.commandLine().getOut().flush();
            return r.exitCode();
        }
    }

    /** {@code lvsd real-server setup}. */
    @Command(name = "setup", mixinStandardHelpOptions = true,
            description = {"Prepare this real server for LVS, idempotently, printing every change as the command that",
                    "makes it: dr puts the VIP on lo and sets arp_ignore=1, arp_announce=2 on 'all' and the outgoing",
                    "interface; tun loads the tunnel's module and brings its device up with the VIP (ipip: tunl0, or",
                    "ip6tnl0 for an IPv6 VIP; gre: gre0 or ip6gre0; gue: also loads fou and opens a GUE receive port),",
                    "sets rp_filter to loose (2) where strict mode would drop decapsulated packets, and the same ARP",
                    "settings; nat only checks the default route. Each change is recorded (--state-file) so that --undo",
                    "puts back exactly what was there."},
            footer = {"", "Examples:", "  lvsd real-server setup --vip 192.0.2.10 --forwarding dr --dry-run",
                    "  lvsd real-server setup --vip 192.0.2.10 --forwarding dr",
                    "  lvsd real-server setup --vip 192.0.2.10 --forwarding tun --tun-type gue --tun-port 5555",
                    "  lvsd real-server setup --vip 2001:db8::10 --forwarding tun --tun-type gre",
                    "  lvsd real-server setup --vip 192.0.2.10 --forwarding dr --persist",
                    "  lvsd real-server setup --vip 192.0.2.10 --forwarding dr --undo",
                    "", "Exit codes: 0 the real server is ready (or undone); 1 a change failed or a check still fails;",
                    "2 bad usage."})
    public static final class Setup implements Callable<Integer> {
        @CommandLine.Mixin
        Target target = new Target();

        @Option(names = "--dry-run", description = "Print the changes, make none.")
        boolean dryRun;

        @Option(names = "--undo", description = "Revert what earlier setups recorded, last change first.")
        boolean undo;

        @Option(names = "--persist", arity = "0..1", fallbackValue = "auto", paramLabel = "networkd|ifupdown",
                description = {"Also write the setup where the host keeps it across a reboot: sysctl.d, modules-load.d",
                        "(TUN), and the VIPs (and a GUE port) in systemd-networkd's files or ifupdown's interfaces.d",
                        "(default: the one this host uses). Recorded like every change: --undo removes or restores the",
                        "files."})
        String persist;

        @Option(names = "--persist-root", paramLabel = "DIR", defaultValue = "/",
                description = "Write the --persist files under DIR, e.g. an image being built (default: /).")
        Path persistRoot;

        @Option(names = "--state-file", paramLabel = "FILE", description = "Where the changes are recorded (default:"
                + " $STATE_DIRECTORY, else /var/lib/lvsd, /real-server-setup.record).")
        Path stateFile;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        RealServerHost host = new LinuxRealServerHost();

        Path record() {
            if (stateFile != null) {
                return stateFile;
            }
            String dir = System.getenv("STATE_DIRECTORY");
            return Path.of(dir == null || dir.isBlank() ? "/var/lib/lvsd" : dir.split(":")[0], "real-server-setup.record");
        }

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            RealServer.Spec s = target.spec(err, "setup");
            if (s == null) {
                return Main.EXIT_USAGE;
            }
            Path rec = record();
            if (undo) {
                if (!Files.exists(rec)) {
                    out.println("nothing to undo: " + rec + " does not exist");
                    return 0;
                }
                List<RealServer.Change> applied;
                try {
                    applied = RealServer.parseRecord(Files.readString(rec, StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    err.println("lvsd real-server setup --undo: " + rec + ": " + e.getMessage());
                    return Main.EXIT_FAILURE;
                }
                if (dryRun) {
                    for (int i = applied.size() - 1; i >= 0; i--) {
                        out.println("would undo: " + applied.get(i).command());
                    }
                    return 0;
                }
                RealServer.undo(host, applied, c -> out.println("undone: " + c));
                Files.delete(rec);
                out.flush();
                return 0;
            }
            List<RealServer.Change> plan;
            if (persist == null) {
                plan = RealServer.plan(host, s);
            } else {
                if (persistRoot.toString().chars().anyMatch(Character::isWhitespace)) {
                    err.println("lvsd real-server setup: --persist-root " + persistRoot + ": a path with white space cannot"
                            + " be recorded for --undo");
                    return Main.EXIT_USAGE;
                }
                RealServer.Persistence style = persistence(persist, persistRoot);
                if (style == null) {
                    err.println("lvsd real-server setup: --persist" + (persist.equals("auto") ? ": cannot tell how this host"
                            + " keeps its network configuration (no systemd-networkd running, no /etc/network/interfaces):"
                            + " say --persist=networkd or --persist=ifupdown" : "=" + persist + " (expected networkd or ifupdown)"));
                    return Main.EXIT_USAGE;
                }
                try {
                    plan = RealServer.plan(host, s, style, persistRoot);
                } catch (IllegalArgumentException e) {
                    err.println("lvsd real-server setup: " + e.getMessage());
                    return Main.EXIT_USAGE;
                }
            }
            if (plan.isEmpty()) {
                out.println("nothing to change");
            }
            for (RealServer.Change c : plan) {
                out.println((dryRun ? "would run: " : "") + c.command());
            }
            if (!dryRun && !plan.isEmpty()) {
                Files.createDirectories(rec.toAbsolutePath().getParent());
                try {
                    RealServer.apply(host, plan, c -> {
                        try {
                            Files.writeString(rec, c.record() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                                    StandardOpenOption.APPEND, StandardOpenOption.SYNC);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                } catch (IOException | java.io.UncheckedIOException e) {
                    err.println("lvsd real-server setup: " + e.getMessage() + " (what was done is in " + rec
                            + "; --undo reverts it)");
                    return Main.EXIT_FAILURE;
                }
            }
            out.flush();
            if (dryRun) {
                return 0;
            }
            List<Finding> after = RealServer.check(host, s);
            boolean failed = after.stream().anyMatch(f -> f.verdict() == Verdict.FAIL);
            if (failed) {
                out.println("still failing:");
                return report(after.stream().filter(f -> f.verdict() == Verdict.FAIL).toList(), out);
            }
            return 0;
        }
    }
}
