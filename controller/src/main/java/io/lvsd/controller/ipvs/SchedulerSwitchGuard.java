package io.lvsd.controller.ipvs;

import io.lvsd.ipvs.ApplyResult;
import io.lvsd.ipvs.Reconciler;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a scheduler change from refusing new connections.
 *
 * <p>The kernel cannot swap a service's scheduler in one step: {@code ip_vs_edit_service} unbinds the old scheduler,
 * waits an RCU grace period and binds the new one. A new connection (a SYN, a UDP datagram without an entry) that
 * arrives in between finds no scheduler, and IPVS answers it with an ICMP port unreachable, which a TCP client takes as
 * "connection refused". Measured in the lab VM: 30 refusals in 40 {@code ipvsadm -E} scheduler flips under about 110
 * new connections a second, none in 40 weight edits. The window lasts a grace period: 130-590 ms in the emulated
 * guest, milliseconds on real hardware, where a busy service takes thousands of connections a second.
 *
 * <p>While the edit runs, this guard holds back those ICMP port unreachables: an nftables table of its own,
 * {@code inet lvsd_scheduler_switch}, with an output chain that drops them when they come from the switching
 * services' addresses (from any address for a firewall-mark service, which has none). The refused SYN is then simply
 * lost, and the client's first retransmission (one second later) finds the new scheduler: a delay, not an error. The
 * table goes again as soon as the edit returns, and a table left behind by a crash is removed at the next start.
 * (The first guarded switch loads nf_tables into a kernel that lacks it, as any nft command does.)
 *
 * <p>Without {@code nft}, or when it fails, the switch goes ahead unguarded (as keepalived and ipvsadm do it) with
 * a warning that says so; the guard never stops a change.
 */
public final class SchedulerSwitchGuard implements Reconciler.Bracket {
    private static final Logger log = LoggerFactory.getLogger(SchedulerSwitchGuard.class);
    static final String TABLE = "inet lvsd_scheduler_switch";
    private static final Pattern PACKETS = Pattern.compile("packets (\\d+)");

    /** Runs nft with one argument, its command text; returns its output or throws with a one-line reason. */
    @FunctionalInterface
    public interface Nft {
        String run(String commands) throws IOException;
    }

    /** What the last guarded switch did, for the log, metrics and tests. */
    public record Outcome(boolean guarded, long held, String reason) {
    }

    private final Nft nft;
    /** Whether nf_tables is in the kernel now; without it no table can be left over, and asking would load it. */
    private final java.util.function.BooleanSupplier nfTablesLoaded;
    private final Set<String> warned = new LinkedHashSet<>();
    private volatile Outcome last;

    /** @param nft null when the nft tool is not installed: every switch is then unguarded */
    public SchedulerSwitchGuard(Nft nft) {
        this(nft, () -> true);
    }

    SchedulerSwitchGuard(Nft nft, java.util.function.BooleanSupplier nfTablesLoaded) {
        this.nft = nft;
        this.nfTablesLoaded = nfTablesLoaded;
    }

    /**
     * The guard over the system's nft, wherever it is installed; unguarded without it. The start's clean-up asks nft
     * only when nf_tables is in the kernel ({@link #nfTablesInKernel}), so that a director without nftables does not
     * get it loaded.
     */
    public static SchedulerSwitchGuard system() {
        String path = io.lvsd.linux.proc.Processes.which("nft");
        return new SchedulerSwitchGuard(path == null ? null : commands -> io.lvsd.linux.proc.Processes.run(path, commands),
                SchedulerSwitchGuard::nfTablesInKernel);
    }

    /**
     * Whether nf_tables is in the kernel: loaded as a module ({@code /sys/module/nf_tables}), built in (listed in the
     * running kernel's {@code modules.builtin}; a built-in without parameters has no /sys/module entry), or in a kernel
     * without module support, where asking nft cannot load anything.
     */
    static boolean nfTablesInKernel() {
        java.nio.file.Path proc = java.nio.file.Path.of("/proc/modules");
        if (java.nio.file.Files.isDirectory(java.nio.file.Path.of("/sys/module/nf_tables"))
                || !java.nio.file.Files.exists(proc)) {
            return true;
        }
        try {
            String release = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/osrelease")).strip();
            java.nio.file.Path builtin = java.nio.file.Path.of("/lib/modules", release, "modules.builtin");
            try (java.util.stream.Stream<String> lines = java.nio.file.Files.lines(builtin)) {
                return lines.anyMatch(l -> l.endsWith("/nf_tables.ko"));
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** What the last switch did; null before the first. */
    public Outcome last() {
        return last;
    }

    /** Removes a guard table a crashed run left behind (it would go on hiding port unreachables from the VIPs). */
    public void clearLeftover() {
        if (nft == null || !nfTablesLoaded.getAsBoolean()) {
            return;
        }
        try {
            nft.run("add table " + TABLE + "; delete table " + TABLE);
        } catch (IOException e) {
            log.warn("ipvs: could not remove a scheduler-switch guard table left from an earlier run: {}", e.getMessage());
        }
    }

    /** The nft commands that put the guard up for these services: one transaction, replacing any leftover table. */
    static String raise(List<Reconciler.SchedulerSwitch> switching) {
        StringBuilder b = new StringBuilder();
        b.append("add table ").append(TABLE).append("; delete table ").append(TABLE).append("; add table ").append(TABLE)
                .append("; add chain ").append(TABLE).append(" hold { type filter hook output priority 0; policy accept; }");
        Set<String> rules = new LinkedHashSet<>();
        for (Reconciler.SchedulerSwitch s : switching) {
            ServiceKey k = s.key();
            String from = "";
            if (k instanceof ServiceKey.Addr a) {
                from = (k.family() == IpFamily.IPV6 ? "ip6" : "ip") + " saddr "
                        + IpAddresses.text(a.endpoint().getAddress()) + " ";
            }
            rules.add(k.family() == IpFamily.IPV6
                    ? from + "icmpv6 type destination-unreachable icmpv6 code port-unreachable counter drop"
                    : from + "icmp type destination-unreachable icmp code port-unreachable counter drop");
        }
        for (String r : rules) {
            b.append("; add rule ").append(TABLE).append(" hold ").append(r);
        }
        return b.toString();
    }

    /** The port unreachables the guard's rules dropped, from nft's listing of its chain. */
    static long held(String listing) {
        long n = 0;
        Matcher m = PACKETS.matcher(listing);
        while (m.find()) {
            n += Long.parseLong(m.group(1));
        }
        return n;
    }

    @Override
    public ApplyResult around(List<Reconciler.SchedulerSwitch> switching, Reconciler.Apply apply) throws IOException {
        String what = String.join(", ", switching.stream().map(Reconciler.SchedulerSwitch::describe).toList());
        String unguarded = null;
        if (nft == null) {
            unguarded = "nft is not installed";
        } else {
            try {
                nft.run(raise(switching));
            } catch (IOException e) {
                unguarded = e.getMessage();
            }
        }
        if (unguarded != null) {
            if (warned.size() < 32 && warned.add(unguarded)) {
                log.warn("ipvs: switching the scheduler of {} unguarded ({}): a new connection that arrives while the "
                        + "kernel swaps schedulers is refused; {}", what, unguarded, nft == null
                        ? "install nftables to hold those refusals back"
                        : "lvsd needs CAP_NET_ADMIN and nf_tables in the kernel to hold them back");
            } else {
                log.info("ipvs: switching the scheduler of {} unguarded ({})", what, unguarded);
            }
            try {
                return apply.call();
            } finally {
                last = new Outcome(false, 0, unguarded);
            }
        }
        long held = 0;
        String lowerError = null;
        try {
            return apply.call();
        } finally {
            try {
                held = held(nft.run("list chain " + TABLE + " hold"));
            } catch (IOException | NumberFormatException e) {
                log.debug("ipvs: could not read the scheduler-switch guard's counters: {}", e.getMessage());
            }
            try {
                nft.run("delete table " + TABLE);
            } catch (IOException e) {
                lowerError = e.getMessage();
                log.warn("ipvs: could not remove the scheduler-switch guard table ({}); port unreachables from {} stay "
                        + "held back until it goes: nft delete table {}", e.getMessage(), what, TABLE);
            }
            log.info("ipvs: scheduler of {} switched; {} new connection(s) that met the kernel's switch window held "
                    + "back to retry, not refused", what, held);
            last = new Outcome(true, held, lowerError);
        }
    }
}
