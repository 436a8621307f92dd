package io.lvsd.controller.cli;

import io.lvsd.controller.Main;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.sync.SyncConnection;
import io.lvsd.sync.SyncMessage;
import io.lvsd.sync.SyncTraffic;
import io.lvsd.sync.SyncWatcher;
import io.lvsd.sync.internal.SyncCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lvsd sync ...}: the kernel's connection sync, seen from the wire. */
@Command(name = "sync", mixinStandardHelpOptions = true,
        description = {"Inspect IPVS connection sync between directors."},
        subcommands = {SyncCommand.WatchCmd.class})
public final class SyncCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.EXIT_USAGE;
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = {"Join the sync group and print every connection entry the master daemon sends: protocol, "
                    + "client -> virtual -> real server, forwarding, state, flags and timeout; then, every "
                    + "--interval seconds, each sender's message and entry rates. Is sync working? If nothing "
                    + "appears here while the master carries traffic, it is not."},
            footer = {"", "Examples:", "  lvsd sync watch -i eth1", "  lvsd sync watch -i eth1 --count 10 --seconds 30",
                    "", "Exit codes: 0 sync messages were heard, 1 none were (or the group could not be joined), "
                    + "2 bad usage."})
    static final class WatchCmd implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = {"-i", "--interface"}, paramLabel = "IF",
                description = "Interface to join the group on (sync-daemon.interface). Default: the kernel's choice.")
        String ifname;

        @Option(names = "--group", paramLabel = "G", defaultValue = SyncWatcher.DEFAULT_GROUP,
                description = "Multicast group (default: ${DEFAULT-VALUE}, the kernel's).")
        String group;

        @Option(names = "--port", paramLabel = "P", defaultValue = "" + SyncWatcher.DEFAULT_PORT,
                description = "UDP port (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--count", paramLabel = "N", description = "Stop after N valid messages.")
        Long count;

        @Option(names = "--seconds", paramLabel = "S", description = "Stop after S seconds.")
        Long seconds;

        @Option(names = "--interval", paramLabel = "S", defaultValue = "5",
                description = "Seconds between rate lines (default: ${DEFAULT-VALUE}).")
        long interval;

        @Option(names = {"-q", "--quiet"}, description = "Rate lines only, no entries.")
        boolean quiet;

        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS", Locale.ROOT);

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (port < 1 || port > 65535 || interval < 1 || (count != null && count < 1)
                    || (seconds != null && seconds < 1)) {
                err.println("lvsd sync watch: --port 1-65535, --interval >= 1, --count >= 1, --seconds >= 1");
                return Main.EXIT_USAGE;
            }
            InetAddress g;
            try {
                g = InetAddress.getByName(group);
            } catch (UnknownHostException e) {
                err.println("lvsd sync watch: --group " + group + ": not an address");
                return Main.EXIT_USAGE;
            }
            SyncTraffic traffic = new SyncTraffic(new SimpleMeterRegistry(), System::nanoTime);
            CountDownLatch done = new CountDownLatch(1);
            SyncWatcher.Listener printer = new SyncWatcher.Listener() {
                @Override
                public void message(InetAddress from, SyncMessage m) {
                    synchronized (out) {
                        if (!quiet) {
                            String head = LocalTime.now().format(TIME) + " " + from.getHostAddress() + " syncid "
                                    + m.syncId() + " v" + m.version() + ": ";
                            for (SyncConnection c : m.connections()) {
                                out.println(head + line(c));
                            }
                        }
                        out.flush();
                    }
                    if (count != null && traffic.totalMessages() >= count) {
                        done.countDown();
                    }
                }

                @Override
                public void malformed(InetAddress from, SyncCodec.Error error, String detail) {
                    synchronized (out) {
                        out.println(LocalTime.now().format(TIME) + " " + from.getHostAddress() + " undecodable ("
                                + error.label() + "): " + detail);
                        out.flush();
                    }
                }

                @Override
                public void control(InetAddress from, io.lvsd.sync.CatchUp c) {
                    synchronized (out) {
                        if (!quiet) {
                            out.println(LocalTime.now().format(TIME) + " " + from.getHostAddress() + " syncid "
                                    + c.syncId() + " lvsd catch-up " + c.kind().name().toLowerCase(Locale.ROOT)
                                    + " " + Long.toHexString(c.nonce())
                                    + (c.kind() == io.lvsd.sync.CatchUp.Kind.DONE ? ": " + c.count() + " entries" : ""));
                        }
                        out.flush();
                    }
                }
            };
            try (SyncWatcher w = SyncWatcher.open(ifname, g, port, traffic, printer)) {
                err.println("lvsd sync watch: listening on " + g.getHostAddress() + ":" + port
                        + (ifname == null ? "" : " on " + ifname));
                err.flush();
                long end = seconds == null ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                Map<String, long[]> before = new HashMap<>();
                while (System.nanoTime() - end < 0) {
                    long wait = Math.min(TimeUnit.SECONDS.toNanos(interval), end - System.nanoTime());
                    if (done.await(Math.max(0, wait), TimeUnit.NANOSECONDS)) {
                        break;
                    }
                    rates(out, traffic, before, interval);
                }
            } catch (IOException e) {
                err.println("lvsd sync watch: " + e.getMessage());
                return Main.EXIT_FAILURE;
            }
            synchronized (out) {
                for (SyncTraffic.SenderStats s : traffic.senders()) {
                    out.println("total " + s.sender() + ": " + s.messages() + " messages, " + s.entries()
                            + " entries, " + s.errors() + " undecodable");
                }
                if (traffic.senders().isEmpty()) {
                    out.println("no sync traffic heard");
                }
                out.println("dropped unread by the kernel: " + traffic.dropped()
                        + " (datagrams that came faster than this watcher read them)");
                out.flush();
            }
            return traffic.totalMessages() > 0 ? 0 : Main.EXIT_FAILURE;
        }

        private static void rates(PrintWriter out, SyncTraffic traffic, Map<String, long[]> before, long interval) {
            long now = System.nanoTime();
            synchronized (out) {
                for (SyncTraffic.SenderStats s : traffic.senders()) {
                    long[] b = before.getOrDefault(s.sender(), new long[2]);
                    out.printf(Locale.ROOT, "rate %s: %.1f messages/s, %.1f entries/s, %d undecodable, last %s%n",
                            s.sender(), (s.messages() - b[0]) / (double) interval,
                            (s.entries() - b[1]) / (double) interval, s.errors(),
                            s.lastNanos() == Long.MIN_VALUE ? "never"
                                    : String.format(Locale.ROOT, "%.1f s ago", (now - s.lastNanos()) / 1e9));
                    before.put(s.sender(), new long[] {s.messages(), s.entries()});
                }
                out.flush();
            }
        }

        /** {@code TCP 10.0.0.50:43278 -> 10.0.0.100:80 -> 10.0.0.21:80 Route ESTABLISHED flags 0x83 900s}. */
        static String line(SyncConnection c) {
            StringBuilder b = new StringBuilder();
            b.append(c.protocolName()).append(' ').append(ep(c.client(), c.clientPort())).append(" -> ")
                    .append(ep(c.virtual(), c.virtualPort())).append(" -> ").append(ep(c.real(), c.realPort()))
                    .append(' ').append(c.forwarding()).append(' ').append(c.stateName());
            if (c.template()) {
                b.append(" template");
            }
            b.append(" flags 0x").append(Integer.toHexString(c.flags()));
            if (c.fwmark() != 0) {
                b.append(" fwmark ").append(c.fwmark());
            }
            b.append(' ').append(c.timeoutSeconds()).append('s');
            if (c.peName() != null) {
                b.append(" pe ").append(c.peName());
            }
            if (!c.unknownOptions().isEmpty()) {
                b.append(" unknown options ").append(c.unknownOptions());
            }
            return b.toString();
        }

        private static String ep(InetAddress a, int port) {
            String h = IpAddresses.text(a);
            return (h.contains(":") ? "[" + h + "]" : h) + ":" + port;
        }
    }
}
