package io.lvsd.keepalived;

import io.lvsd.keepalived.Hocon.Arr;
import io.lvsd.keepalived.Hocon.Entry;
import io.lvsd.keepalived.Hocon.Obj;
import io.lvsd.linux.Spelling;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Converts a keepalived configuration, as {@link KeepalivedReader} read it, into lvsd's HOCON.
 *
 * <p>Every statement ends in one of three places: converted (the block it came from is named in a comment),
 * converted with a {@link Diagnostic.Kind#WARNING} where keepalived behaves differently, or not converted
 * with a {@link Diagnostic.Kind#TODO} and a {@code # TODO} comment where it would have gone. Nothing is
 * dropped without a word. Where keepalived's default differs from lvsd's, keepalived's value is written, so
 * that the imported file behaves as the original did; where they agree, the key is left out.
 */
public final class KeepalivedImport {
    /** lvsd's rule for instance and server names. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern IFNAME = Pattern.compile("[^\\s/:]{1,15}");
    private static final long S = 1_000_000L;

    /**
     * The conversion.
     *
     * @param hocon       lvsd configuration text
     * @param diagnostics what did not convert or converts with a difference, in file order
     * @param report      each keyword found, how often, and what it became
     */
    public record Result(String hocon, List<Diagnostic> diagnostics, List<ReportRow> report) {
        public Result {
            diagnostics = List.copyOf(diagnostics);
            report = List.copyOf(report);
        }

        /** True when nothing is left to do by hand. */
        public boolean complete() {
            return diagnostics.stream().noneMatch(d -> d.kind() != Diagnostic.Kind.WARNING);
        }
    }

    /**
     * One line of {@code --report}.
     *
     * @param context where the keyword was (global_defs, vrrp_instance, real_server, ...)
     * @param keyword the keyword
     * @param count   how often it appeared
     * @param became  the lvsd key it became, or why it did not convert
     */
    public record ReportRow(String context, String keyword, int count, String became) {}

    private final String origin;
    private final List<Diagnostic> diags = new ArrayList<>();
    private final Map<String, ReportRow> report = new TreeMap<>();

    private final Obj director = new Obj();
    private final Obj scripts = new Obj();
    private final Obj defaults = new Obj();
    private final Obj vrrp = new Obj();
    private final Arr servers = new Arr();
    private final Obj sync = new Obj();
    private final Obj ipvs = new Obj();
    private final Obj unplaced = new Obj();

    // global_defs
    private int vrrpVersion = 2;
    private boolean checkUnicastSrc;
    private String scriptUser;
    private final Map<String, Stmt> vrrpScripts = new LinkedHashMap<>();
    private final Map<String, Stmt> trackFiles = new LinkedHashMap<>();
    private final Map<String, Stmt> vsGroups = new LinkedHashMap<>();
    private final Map<String, Integer> vrids = new HashMap<>();
    private final Map<String, String> instanceNames = new HashMap<>();
    private final Set<String> grouped = new HashSet<>();
    private final Set<String> serverNames = new HashSet<>();
    private Stmt syncDaemon;

    private KeepalivedImport(String origin) {
        this.origin = origin;
    }

    /**
     * Converts what the reader read.
     *
     * @param read   the reader's result (its diagnostics are carried over)
     * @param origin how to name the main file in the header
     */
    public static Result convert(KeepalivedReader.Result read, String origin) {
        KeepalivedImport c = new KeepalivedImport(origin);
        c.diags.addAll(read.diagnostics());
        c.run(read.statements());
        List<Diagnostic> sorted = new ArrayList<>(c.diags);
        sorted.sort(null);
        return new Result(c.render(read.files()), sorted, List.copyOf(c.report.values()));
    }

    // ---- bookkeeping ----------------------------------------------------------------------------------------

    private void used(String context, Stmt s, String became) {
        String k = context + "\u0000" + s.keyword();
        ReportRow r = report.get(k);
        report.put(k, new ReportRow(context, s.keyword(), r == null ? 1 : r.count() + 1,
                r == null || r.became().equals(became) ? became : r.became()));
    }

    /** Not converted: a diagnostic, a {@code # TODO} in {@code where}, and a report row. */
    private void todo(Obj where, String context, Stmt s, String why) {
        diags.add(new Diagnostic(s.at(), Diagnostic.Kind.TODO, "'" + s.text() + "': " + why));
        where.closingComments.add("TODO " + s.at() + " '" + s.text() + "': " + why);
        used(context, s, "not converted");
    }

    /** Converted, but it behaves differently: a diagnostic and a comment. */
    private void warn(Entry e, Stmt s, String why) {
        diags.add(new Diagnostic(s.at(), Diagnostic.Kind.WARNING, "'" + s.text() + "': " + why));
        e.comments.add("NOTE " + s.at() + ": " + why);
    }

    private void warn(Obj where, Stmt s, String why) {
        diags.add(new Diagnostic(s.at(), Diagnostic.Kind.WARNING, "'" + s.text() + "': " + why));
        where.closingComments.add("NOTE " + s.at() + " '" + s.text() + "': " + why);
    }

    /** Statements that nothing took: known but without an lvsd counterpart, or unknown. */
    private void rest(Obj where, Block b, Map<String, String> unsupported, Collection<String> known) {
        for (Stmt s : b.rest()) {
            String why = unsupported.get(s.keyword());
            if (why != null) {
                todo(where, b.context, s, why);
                continue;
            }
            String msg;
            int eq = s.keyword().indexOf('=');
            if (eq > 0) {
                msg = "keepalived reads '" + s.keyword() + "' as one unknown keyword and ignores it; write '"
                        + s.keyword().substring(0, eq) + " " + s.keyword().substring(eq + 1) + "'";
            } else if (known.contains(s.keyword())) {
                msg = "not a keyword of " + b.context + " (keepalived ignores it here)";
            } else {
                Set<String> all = new HashSet<>(known);
                all.addAll(unsupported.keySet());
                String near = Spelling.closest(s.keyword(), all);
                msg = "unknown keyword in " + b.context + ", ignored as keepalived ignores it"
                        + (near == null ? "" : " (did you mean " + near + "?)");
            }
            todo(where, b.context, s, msg);
        }
    }

    private Long integer(Obj where, String ctx, Stmt s, int i, long min, long max) {
        Long v = Values.integer(s.arg(i), min, max);
        if (v == null) {
            todo(where, ctx, s, (s.arg(i) == null ? "a value is missing" : "'" + s.arg(i) + "' is not a whole number")
                    + " (expected " + min + "-" + max + ")");
        }
        return v;
    }

    private Long timer(Obj where, String ctx, Stmt s, int i) {
        Long v = Values.timerMicros(s.arg(i));
        if (v == null) {
            todo(where, ctx, s, (s.arg(i) == null ? "a value is missing" : "'" + s.arg(i) + "' is not a time")
                    + " (expected seconds, e.g. 3 or 0.5)");
        }
        return v;
    }

    private Boolean bool(Obj where, String ctx, Stmt s) {
        Boolean v = Values.bool(s.arg(0));
        if (v == null) {
            todo(where, ctx, s, "'" + s.arg(0) + "' is not on/off/true/false/yes/no");
        }
        return v;
    }

    private static String joined(Stmt s, int from) {
        return String.join(" ", s.args().subList(Math.min(from, s.args().size()), s.args().size()));
    }

    // ---- top level ------------------------------------------------------------------------------------------

    private static final Map<String, String> TOP_UNSUPPORTED = Map.ofEntries(
            Map.entry("static_ipaddress", "lvsd does not manage static addresses; keep them in the system's network configuration"),
            Map.entry("static_routes", "lvsd does not manage routes; keep them in the system's network configuration"),
            Map.entry("static_rules", "lvsd does not manage routing rules; keep them in the system's network configuration"),
            Map.entry("static_track_group", "lvsd has no static track groups"),
            Map.entry("linkbeat_interfaces", "lvsd always follows links over netlink"),
            Map.entry("interface_up_down_delays", "lvsd has no interface debouncing delays"),
            Map.entry("garp_group", "lvsd has no per-interface gratuitous ARP pacing"),
            Map.entry("vrrp_track_process", "lvsd does not track processes; use a track script (e.g. pidof)"),
            Map.entry("bfd_instance", "lvsd has no BFD"),
            Map.entry("SSL", "lvsd's https check needs no client certificate and does not verify the server's, as keepalived's SSL_GET without SSL block"),
            Map.entry("net_namespace", "run lvsd in the namespace instead (ip netns exec, or the unit's NetworkNamespacePath=)"),
            Map.entry("net_namespace_ipvs", "lvsd programs IPVS in its own namespace"),
            Map.entry("instance", "lvsd names its files after the network namespace, so one lvsd per namespace"),
            Map.entry("use_pid_dir", "systemd tracks lvsd; it writes no pid file"),
            Map.entry("child_wait_time", "lvsd is one process"),
            Map.entry("namespace_with_ipsets", "lvsd uses no ipsets"),
            Map.entry("linkbeat_use_polling", "lvsd always follows links over netlink"));
    private static final Set<String> TOP_KNOWN = Set.of("global_defs", "vrrp_script", "vrrp_track_file", "track_file",
            "vrrp_sync_group", "vrrp_instance", "virtual_server_group", "virtual_server");

    private void run(List<Stmt> top) {
        Block b = new Block("top level", top);
        List<Stmt> globals = b.all("global_defs");
        for (Stmt s : b.all("vrrp_script")) {
            used("top level", s, "vrrp.track-scripts");
            vrrpScripts.put(Objects.requireNonNullElse(s.arg(0), ""), s);
        }
        for (Stmt s : b.all("vrrp_track_file", "track_file")) {
            used("top level", s, "vrrp.instances.*.track.files");
            trackFiles.put(Objects.requireNonNullElse(s.arg(0), ""), s);
        }
        for (Stmt s : b.all("virtual_server_group")) {
            used("top level", s, "one virtual server per member");
            vsGroups.put(Objects.requireNonNullElse(s.arg(0), ""), s);
        }
        List<Stmt> groups = b.all("vrrp_sync_group");
        List<Stmt> instances = b.all("vrrp_instance");
        List<Stmt> vss = b.all("virtual_server");
        for (Stmt g : globals) {
            used("top level", g, "director, scripts, defaults, sync-daemon, ipvs");
            globalDefs(g);
        }
        for (Stmt g : groups) {
            for (Stmt m : g.children()) {
                if (m.keyword().equals("group")) {
                    for (Stmt n : m.children()) {
                        grouped.add(n.keyword());
                        grouped.addAll(n.args());
                    }
                }
            }
        }
        for (Stmt i : instances) {
            String n = Objects.requireNonNullElse(i.arg(0), "");
            instanceNames.put(n, lvsdName(n));
            for (Stmt c : i.children()) {
                Long v = c.keyword().equals("virtual_router_id") ? Values.integer(c.arg(0), 1, 255) : null;
                if (v != null) {
                    vrids.put(n, v.intValue());
                }
            }
        }
        for (Stmt s : List.copyOf(vrrpScripts.values())) {
            trackScript(s);
        }
        for (Stmt i : instances) {
            used("top level", i, "vrrp.instances");
            instance(i);
        }
        for (Stmt g : groups) {
            used("top level", g, "vrrp.sync-groups");
            syncGroup(g);
        }
        for (Stmt v : vss) {
            used("top level", v, "virtual-servers");
            virtualServer(v);
        }
        if (syncDaemon != null) {
            syncDaemon(syncDaemon);
        }
        rest(unplaced, b, TOP_UNSUPPORTED, TOP_KNOWN);
    }

    /**
     * Every keyword the import knows, per context: those it converts and those it names as not converted. The
     * migration guide's table is checked against it.
     */
    static Map<String, Set<String>> vocabulary() {
        Map<String, Set<String>> v = new TreeMap<>();
        v.put("top level", union(TOP_KNOWN, TOP_UNSUPPORTED.keySet()));
        v.put("global_defs", union(GLOBAL_KNOWN, GLOBAL_UNSUPPORTED.keySet()));
        v.put("vrrp_script", union(SCRIPT_KNOWN, SCRIPT_UNSUPPORTED.keySet()));
        v.put("vrrp_instance", union(INSTANCE_KNOWN, INSTANCE_UNSUPPORTED.keySet()));
        v.put("virtual_server", union(VS_KNOWN, VS_UNSUPPORTED.keySet()));
        v.put("real_server", union(RS_KNOWN, RS_UNSUPPORTED.keySet()));
        v.put("checkers", union(CHECK_KNOWN, CHECK_UNSUPPORTED.keySet()));
        return v;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new java.util.TreeSet<>(a);
        u.addAll(b);
        return u;
    }

    private String lvsdName(String name) {
        if (NAME.matcher(name).matches()) {
            return name;
        }
        String n = name.replaceAll("[^A-Za-z0-9_.-]", "-").replaceAll("^[^A-Za-z0-9]+", "");
        if (n.isEmpty()) {
            n = "unnamed";
        }
        return n.length() > 64 ? n.substring(0, 64) : n;
    }

    // ---- global_defs ------------------------------------------------------------------------------------------

    private static final Map<String, String> GLOBAL_UNSUPPORTED = new HashMap<>();
    private static final Set<String> GLOBAL_KNOWN = Set.of("router_id", "script_user", "enable_script_security",
            "vrrp_garp_master_delay", "vrrp_garp_master_repeat", "vrrp_garp_master_refresh",
            "vrrp_garp_master_refresh_repeat", "lvs_sync_daemon", "lvs_sync_daemon_interface", "vrrp_version",
            "vrrp_check_unicast_src", "vrrp_strict", "vrrp_skip_check_adv_addr", "lvs_timeouts", "vrrp_rt_priority");

    static {
        String mail = "e-mail is not lvsd's job: use notify scripts, or alert on lvsd's metrics "
                + "(lvsd_vrrp_state, lvsd_real_server_up) from Prometheus";
        for (String k : List.of("notification_email", "notification_email_from", "smtp_server", "smtp_helo_name",
                "smtp_connect_timeout", "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker", "no_email_faults",
                "no_checker_emails", "email_faults")) {
            GLOBAL_UNSUPPORTED.put(k, mail);
        }
        String snmp = "lvsd has no SNMP or D-Bus; it serves Prometheus metrics and /status on admin.listen";
        for (String k : List.of("enable_snmp_vrrp", "enable_snmp_checker", "enable_snmp_rfc", "enable_snmp_rfcv2",
                "enable_snmp_rfcv3", "enable_traps", "snmp_socket", "enable_dbus", "dbus_service_name")) {
            GLOBAL_UNSUPPORTED.put(k, snmp);
        }
        String fifo = "lvsd has no notify FIFO; use notify scripts or /status and the event log";
        for (String k : List.of("notify_fifo", "notify_fifo_script", "vrrp_notify_fifo", "vrrp_notify_fifo_script",
                "lvs_notify_fifo", "lvs_notify_fifo_script", "fifo_write_vrrp_states_on_reload",
                "vrrp_notify_priority_changes")) {
            GLOBAL_UNSUPPORTED.put(k, fifo);
        }
        String proc = "lvsd is one JVM process run by systemd; set scheduling in the unit (Nice=, CPUAffinity=, CPUSchedulingPolicy=)";
        for (String k : List.of("process_names", "process_name", "vrrp_process_name", "checker_process_name",
                "bfd_process_name", "vrrp_priority", "checker_priority", "bfd_priority", "vrrp_no_swap",
                "checker_no_swap", "bfd_no_swap", "checker_rt_priority", "bfd_rt_priority",
                "vrrp_rlimit_rttime", "checker_rlimit_rttime", "bfd_rlimit_rttime", "vrrp_cpu_affinity",
                "checker_cpu_affinity", "bfd_cpu_affinity", "max_auto_priority", "min_auto_priority_delay",
                "umask", "random_seed", "tmp_config_directory", "config_save_dir", "reload_check_config",
                "reload_time_file", "reload_repeat", "reload_file", "data_use_instance", "startup_script",
                "startup_script_timeout", "shutdown_script", "shutdown_script_timeout", "child_wait_time",
                "use_pid_dir", "instance", "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets")) {
            GLOBAL_UNSUPPORTED.put(k, proc);
        }
        String fw = "lvsd installs no firewall rules: it runs every VIP in accept mode";
        for (String k : List.of("vrrp_iptables", "vrrp_ipsets", "nftables", "nftables_priority", "nftables_ifindex",
                "nftables_counters", "nftables_ipvs", "nftables_ipvs_priority", "nftables_ipvs_start_fwmark")) {
            GLOBAL_UNSUPPORTED.put(k, fw);
        }
        String tune = "lvsd has no such tuning knob";
        for (String k : List.of("vrrp_garp_interval", "vrrp_gna_interval", "vrrp_garp_lower_prio_delay",
                "vrrp_garp_lower_prio_repeat", "vrrp_garp_extra_if", "vrrp_garp_extra_if_vmac", "vrrp_min_garp",
                "vrrp_down_timer_adverts", "vrrp_lower_prio_no_advert", "vrrp_higher_prio_send_advert",
                "vrrp_rx_bufs_policy", "vrrp_rx_bufs_multiplier", "vrrp_startup_delay", "vrrp_netlink_cmd_rcv_bufs",
                "vrrp_netlink_cmd_rcv_bufs_force", "vrrp_netlink_monitor_rcv_bufs",
                "vrrp_netlink_monitor_rcv_bufs_force", "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force",
                "lvs_netlink_monitor_rcv_bufs", "lvs_netlink_monitor_rcv_bufs_force",
                "process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force", "checker_log_all_failures",
                "log_unknown_vrids", "rs_init_notifies", "no_checker_emails", "linkbeat_use_polling",
                "dynamic_interfaces", "default_interface", "disable_local_igmp", "vmac_prefix", "vrrp_mcast_group4",
                "vrrp_mcast_group6", "vmac_addr_prefix", "lvs_flush_on_stop", "local_name")) {
            GLOBAL_UNSUPPORTED.putIfAbsent(k, tune);
        }
        GLOBAL_UNSUPPORTED.put("lvs_flush", "lvsd never flushes IPVS: it removes only the services it owns and"
                + " leaves the others alone");
        GLOBAL_UNSUPPORTED.put("vrrp_mcast_group4", "lvsd sends to the RFC group 224.0.0.18 only");
        GLOBAL_UNSUPPORTED.put("vrrp_mcast_group6", "lvsd sends to the RFC group ff02::12 only");
    }

    private void globalDefs(Stmt g) {
        Block b = new Block("global_defs", g.children());
        String ctx = b.context;
        Stmt s = b.last("router_id");
        if (s != null) {
            if (s.arg(0) != null && NAME.matcher(s.arg(0)).matches()) {
                Entry e = director.put("name", s.arg(0));
                e.comments.add(s.at() + " router_id");
                used(ctx, s, "director.name");
            } else {
                todo(director, ctx, s, "lvsd's director name is letters, digits, '.', '_' and '-', at most 64");
            }
        }
        s = b.last("script_user");
        if (s != null) {
            scriptUser = s.arg(0);
            Entry e = scripts.put("user", s.arg(0) == null ? "" : s.arg(0));
            e.comments.add(s.at() + " script_user");
            used(ctx, s, "scripts.user");
            if (s.arg(1) != null) {
                warn(e, s, "lvsd runs scripts with the user's own groups; the group " + s.arg(1) + " is not used");
            }
        }
        s = b.last("enable_script_security");
        if (s != null) {
            used(ctx, s, "built in");
            scripts.closingComments.add(s.at() + " enable_script_security: lvsd always runs scripts as scripts.user"
                    + " with no capabilities; it does not check who may write the script, so keep scripts root-owned");
        }
        String[][] garp = {{"vrrp_garp_master_delay", "delay"}, {"vrrp_garp_master_repeat", "repeat"},
                {"vrrp_garp_master_refresh", "refresh"}, {"vrrp_garp_master_refresh_repeat", "refresh-repeat"}};
        for (String[] k : garp) {
            s = b.last(k[0]);
            if (s == null) {
                continue;
            }
            Obj template = defaults.obj("vrrp-instance").obj("garp");
            if (k[1].equals("delay") || k[1].equals("refresh")) {
                Long v = timer(template, ctx, s, 0);
                if (v != null) {
                    template.put(k[1], Hocon.duration(v / S * S)).comments.add(s.at() + " " + k[0]);
                    used(ctx, s, "defaults.vrrp-instance.garp." + k[1]);
                }
            } else {
                Long v = integer(template, ctx, s, 0, 1, 100);
                if (v != null) {
                    template.put(k[1], Hocon.num(v)).comments.add(s.at() + " " + k[0]);
                    used(ctx, s, "defaults.vrrp-instance.garp." + k[1]);
                }
            }
        }
        List<Stmt> sd = b.all("lvs_sync_daemon", "lvs_sync_daemon_interface");
        if (!sd.isEmpty()) {
            syncDaemon = sd.get(sd.size() - 1);
            for (Stmt x : sd) {
                if (x.keyword().equals("lvs_sync_daemon_interface")) {
                    diags.add(new Diagnostic(x.at(), Diagnostic.Kind.WARNING, "'" + x.text() + "': keepalived's old"
                            + " spelling of lvs_sync_daemon; keepalived 2.x no longer knows it in global_defs and"
                            + " ignores it. Converted as lvs_sync_daemon"));
                }
            }
        }
        s = b.last("vrrp_rt_priority");
        if (s != null) {
            Long v = integer(vrrp, ctx, s, 0, 1, 99);
            if (v != null) {
                vrrp.put("realtime-priority", Hocon.num(v)).comments.add(s.at() + " vrrp_rt_priority: SCHED_FIFO for"
                        + " the VRRP threads and the JVM's VM Thread; under systemd install"
                        + " systemd/lvsd.service.d/realtime.conf (LimitRTPRIO= at least this)");
                used(ctx, s, "vrrp.realtime-priority");
            }
        }
        s = b.last("vrrp_version");
        if (s != null) {
            Long v = integer(unplaced, ctx, s, 0, 2, 3);
            if (v != null) {
                vrrpVersion = v.intValue();
                used(ctx, s, "vrrp.instances.*.version");
            }
        }
        s = b.last("vrrp_check_unicast_src");
        if (s != null) {
            checkUnicastSrc = true;
            used(ctx, s, "vrrp.instances.*.unicast-peers-check (lvsd's default)");
        }
        s = b.last("vrrp_strict");
        if (s != null) {
            todo(unplaced, ctx, s, "lvsd does not enforce keepalived's strict mode: it installs no firewall drops"
                    + " for the VIPs (every VIP accepts traffic, as keepalived's accept mode), and it allows unicast,"
                    + " passwords and preempt_delay. If you relied on the drops, add nftables rules yourself");
        }
        s = b.last("vrrp_skip_check_adv_addr");
        if (s != null) {
            used(ctx, s, "not needed");
            unplaced.closingComments.add(s.at() + " vrrp_skip_check_adv_addr: lvsd never compares an advert's"
                    + " address list with its own (RFC 5798 makes that a MAY), so there is nothing to skip");
        }
        s = b.last("lvs_timeouts");
        if (s != null) {
            lvsTimeouts(s);
        }
        rest(unplaced, b, GLOBAL_UNSUPPORTED, GLOBAL_KNOWN);
    }

    private void lvsTimeouts(Stmt s) {
        Obj t = ipvs.obj("timeouts");
        Map<String, String> keys = Map.of("tcp", "tcp", "tcpfin", "tcp-fin", "tcp_fin", "tcp-fin", "udp", "udp");
        boolean ok = !s.args().isEmpty() && s.args().size() % 2 == 0;
        for (int i = 0; ok && i + 1 < s.args().size(); i += 2) {
            String k = keys.get(s.arg(i));
            Long v = Values.integer(s.arg(i + 1), 1, 86_400 * 365L);
            if (k == null || v == null) {
                ok = false;
            } else {
                t.put(k, Hocon.duration(v * S)).comments.add(s.at() + " lvs_timeouts " + s.arg(i));
            }
        }
        if (ok) {
            used("global_defs", s, "ipvs.timeouts");
        } else {
            todo(ipvs, "global_defs", s, "expected [tcp SECS] [tcpfin SECS] [udp SECS]");
        }
    }

    private void syncDaemon(Stmt s) {
        String ctx = "global_defs";
        if (s.arg(0) == null || !IFNAME.matcher(s.arg(0)).matches()) {
            todo(sync, ctx, s, "an interface name is missing or invalid");
            return;
        }
        Entry first = sync.put("interface", s.arg(0));
        first.comments.add(s.at() + " " + s.keyword());
        String follow = null;
        Long id = null;
        boolean ok = true;
        int i = 1;
        if (s.keyword().equals("lvs_sync_daemon") && i < s.args().size()) {
            if (s.arg(i).equals("inst")) {
                i++;
            }
            if (s.arg(i) != null && !Set.of("id", "maxlen", "port", "ttl", "group").contains(s.arg(i))) {
                follow = s.arg(i++);
            }
        }
        for (; i < s.args().size(); i += 2) {
            String k = s.arg(i);
            String v = s.arg(i + 1);
            switch (k) {
                case "id" -> id = Values.integer(v, 0, 255);
                case "maxlen" -> ok &= syncOption("maxlen", v, 576, 65507, -1);
                case "port" -> ok &= syncOption("port", v, 1, 65535, 8848);
                case "ttl" -> ok &= syncOption("ttl", v, 1, 255, 1);
                case "group" -> {
                    InetAddress a = Values.address(v);
                    if (a == null) {
                        ok = false;
                    } else if (!Values.text(a).equals("224.0.0.81")) {
                        sync.put("group", Values.text(a));
                    }
                }
                default -> ok = false;
            }
        }
        if (follow != null) {
            if (!instanceNames.containsKey(follow)) {
                todo(sync, ctx, s, "no vrrp_instance " + follow);
                return;
            }
            sync.put("follow", instanceNames.get(follow));
        }
        if (!ok || s.args().size() > 1 && s.keyword().equals("lvs_sync_daemon_interface")) {
            todo(sync, ctx, s, "expected INTERFACE [[inst] VRRP_INSTANCE] [id 0-255] [maxlen 576-65507] [port N] [ttl N] [group ADDRESS]");
            return;
        }
        int syncId = id != null ? id.intValue() : follow != null && vrids.containsKey(follow) ? vrids.get(follow) : 0;
        if (syncId != 0) {
            Entry e = sync.put("sync-id", Hocon.num(syncId));
            if (id == null) {
                e.trailing = "keepalived's default: the followed instance's virtual_router_id";
            }
        }
        if (follow == null) {
            used(ctx, s, "sync-daemon");
            return;
        }
        Entry pw = sync.put("preempt-wait", Hocon.duration(0));
        pw.trailing = "keepalived preempts at once; lvsd's default (10s) first replays the master's connection table"
                + " to the returning director, so that idle connections survive a fail-back. Remove this line to get it";
        used(ctx, s, "sync-daemon");
    }

    /** One numeric lvs_sync_daemon option into sync-daemon, left out when it is lvsd's default; false if invalid. */
    private boolean syncOption(String key, String value, long min, long max, long lvsdDefault) {
        Long n = Values.integer(value, min, max);
        if (n != null && n != lvsdDefault) {
            sync.put(key, Hocon.num(n));
        }
        return n != null;
    }

    // ---- vrrp_script and track files ----------------------------------------------------------------------

    private static final Map<String, String> SCRIPT_UNSUPPORTED = Map.of(
            "init_fail", "lvsd counts a track script as succeeding until its first 'fall' failures");
    private static final Set<String> SCRIPT_KNOWN = Set.of("script", "interval", "timeout", "weight", "rise", "fall",
            "user");

    /** keepalived's vrrp_script weight (and reverse), as (priority shift, lvsd weight). */
    private record Weight(int shift, int lvsd) {}

    private static Weight weight(long w, boolean reverse) {
        long delta = reverse ? -w : w;
        // keepalived adds a positive weight while the item is up and a negative one while it is down;
        // lvsd adds its weight while the item is down. "+w while up" is "priority + w, and -w while down".
        return w > 0 ? new Weight((int) delta, (int) -delta) : new Weight(0, (int) delta);
    }

    private final Map<String, Weight> scriptWeights = new HashMap<>();

    private void trackScript(Stmt s) {
        String ctx = "vrrp_script";
        Obj all = vrrp.obj("track-scripts");
        String name = s.arg(0);
        if (name == null || !NAME.matcher(name).matches()) {
            todo(all, "top level", s, "lvsd names track scripts with letters, digits, '.', '_' and '-'");
            return;
        }
        Obj o = new Obj();
        Entry self = all.put(name, o);
        self.comments.add(s.at() + " vrrp_script " + name);
        Block b = new Block(ctx, s.children());
        Stmt cmd = b.last("script");
        if (cmd == null || cmd.args().isEmpty()) {
            todo(all, ctx, cmd != null ? cmd : s, "no script to run (keepalived removes this vrrp_script)");
            vrrpScripts.remove(name);
            all.entries.remove(self);
            b.rest();
            return;
        } else {
            o.put("command", joined(cmd, 0));
            used(ctx, cmd, "vrrp.track-scripts.*.command");
        }
        long interval = S;
        Stmt st = b.last("interval");
        if (st != null) {
            Long v = timer(o, ctx, st, 0);
            if (v != null) {
                interval = Math.max(S, v / S * S);
                used(ctx, st, "vrrp.track-scripts.*.interval");
            }
        }
        Entry ie = o.put("interval", Hocon.duration(interval));
        if (st == null) {
            ie.trailing = "keepalived's default (lvsd's is 2s)";
        }
        st = b.last("timeout");
        Long timeout = null;
        if (st != null) {
            timeout = timer(o, ctx, st, 0);
            if (timeout != null) {
                used(ctx, st, "vrrp.track-scripts.*.timeout");
            }
        }
        Entry te = o.put("timeout", Hocon.duration(timeout == null || timeout == 0 ? interval : Math.max(1000, timeout)));
        if (timeout == null || timeout == 0) {
            te.trailing = "keepalived kills a script after its interval when no timeout is set";
        }
        st = b.last("weight");
        Weight w = new Weight(0, 0);
        if (st != null) {
            Long v = integer(o, ctx, st, 0, -253, 253);
            boolean reverse = "reverse".equals(st.arg(1));
            if (v != null) {
                if (v == 0 && reverse) {
                    todo(o, ctx, st, "lvsd cannot put an instance in FAULT while a script succeeds");
                } else {
                    w = weight(v, reverse);
                    used(ctx, st, "vrrp.track-scripts.*.weight");
                }
            }
        }
        scriptWeights.put(name, w);
        if (w.lvsd() != 0) {
            Entry we = o.put("weight", Hocon.num(w.lvsd()));
            if (w.shift() != 0) {
                we.trailing = "keepalived adds " + w.shift() + " while the script succeeds; lvsd adds " + w.lvsd()
                        + " while it fails, and each tracking instance's priority is raised by " + w.shift();
            }
        }
        for (String k : List.of("rise", "fall")) {
            st = b.last(k);
            if (st != null) {
                Long v = integer(o, ctx, st, 0, 1, 1000);
                if (v != null) {
                    if (v != 1) {
                        o.put(k, Hocon.num(v));
                    }
                    used(ctx, st, "vrrp.track-scripts.*." + k);
                }
            }
        }
        st = b.last("user");
        if (st != null) {
            if (Objects.equals(st.arg(0), scriptUser) && st.arg(1) == null) {
                used(ctx, st, "scripts.user");
            } else {
                todo(o, ctx, st, "lvsd runs every script as scripts.user; a per-script user is not supported");
            }
        }
        rest(o, b, SCRIPT_UNSUPPORTED, SCRIPT_KNOWN);
    }

    // ---- vrrp_instance ----------------------------------------------------------------------------------------

    private static final Map<String, String> INSTANCE_UNSUPPORTED = new HashMap<>();
    private static final Set<String> INSTANCE_KNOWN = Set.of("state", "interface", "virtual_router_id", "priority",
            "advert_int", "version", "nopreempt", "no_preempt", "preempt", "preempt_delay", "unicast_src_ip",
            "mcast_src_ip", "unicast_peer", "check_unicast_src", "authentication", "virtual_ipaddress",
            "virtual_ipaddress_excluded", "track_interface", "track_script", "track_file", "notify_master",
            "notify_backup", "notify_fault", "notify_stop", "notify", "garp_master_delay", "garp_master_repeat",
            "garp_master_refresh", "garp_master_refresh_repeat", "accept", "lvs_sync_daemon_interface");

    static {
        String vmac = "lvsd has no VMAC (macvlan) yet: it sends adverts and holds the VIPs on the interface itself";
        for (String k : List.of("use_vmac", "vmac_xmit_base", "use_vmac_addr", "use_ipvlan")) {
            INSTANCE_UNSUPPORTED.put(k, vmac);
        }
        INSTANCE_UNSUPPORTED.put("smtp_alert", "e-mail is not lvsd's job: use notify scripts or alert on lvsd_vrrp_state");
        INSTANCE_UNSUPPORTED.put("track_process", "lvsd does not track processes; use a track script (e.g. pidof NAME)");
        INSTANCE_UNSUPPORTED.put("track_bfd", "lvsd has no BFD");
        INSTANCE_UNSUPPORTED.put("no_accept", "lvsd runs every VIP in accept mode and installs no firewall drops");
        INSTANCE_UNSUPPORTED.put("strict_mode", "lvsd does not enforce keepalived's strict mode (see vrrp_strict)");
        INSTANCE_UNSUPPORTED.put("dont_track_primary", "lvsd always goes to FAULT when its interface goes down");
        INSTANCE_UNSUPPORTED.put("track_src_ip", "lvsd goes to FAULT while the interface has no source address, and"
                + " does not check unicast_src_ip separately");
        INSTANCE_UNSUPPORTED.put("mcast_dst_ip", "lvsd sends to the RFC group 224.0.0.18 / ff02::12 only");
        INSTANCE_UNSUPPORTED.put("unicast_ttl", "lvsd sends unicast adverts with TTL 255");
        INSTANCE_UNSUPPORTED.put("unicast_fault_no_peer", "lvsd needs no such switch: an instance without peers is multicast");
        INSTANCE_UNSUPPORTED.put("old_unicast_checksum", "lvsd computes the RFC 5798 checksum only (v3-checksum-pseudo-header covers the pseudo-header question)");
        INSTANCE_UNSUPPORTED.put("down_timer_adverts", "lvsd keeps the RFC's Master_Down_Interval of 3 adverts plus skew");
        INSTANCE_UNSUPPORTED.put("lower_prio_no_advert", "lvsd answers a lower-priority master at once (RFC 9568)");
        INSTANCE_UNSUPPORTED.put("higher_prio_send_advert", "lvsd does not advertise before yielding to a higher master");
        INSTANCE_UNSUPPORTED.put("skip_check_adv_addr", "lvsd never compares an advert's addresses with its own");
        INSTANCE_UNSUPPORTED.put("garp_lower_prio_delay", "lvsd announces once when it hears a lower-priority master");
        INSTANCE_UNSUPPORTED.put("garp_lower_prio_repeat", "lvsd announces once when it hears a lower-priority master");
        INSTANCE_UNSUPPORTED.put("garp_extra_if", "lvsd announces on the VIPs' interfaces only");
        INSTANCE_UNSUPPORTED.put("garp_extra_if_vmac", "lvsd has no VMAC");
        INSTANCE_UNSUPPORTED.put("virtual_routes", "lvsd does not manage routes; use notify scripts");
        INSTANCE_UNSUPPORTED.put("virtual_rules", "lvsd does not manage routing rules; use notify scripts");
        INSTANCE_UNSUPPORTED.put("promote_secondaries", "set it with sysctl net.ipv4.conf.IFNAME.promote_secondaries=1");
        INSTANCE_UNSUPPORTED.put("notify_master_rx_lower_pri", "lvsd has no such notify; it announces again instead");
        INSTANCE_UNSUPPORTED.put("notify_deleted", "lvsd runs notify.stop when an instance is removed by a reload");
        INSTANCE_UNSUPPORTED.put("notify_priority_changes", "lvsd has no notify FIFO; /status shows priorities");
        INSTANCE_UNSUPPORTED.put("kernel_rx_buf_size", "lvsd has no such tuning knob");
        INSTANCE_UNSUPPORTED.put("linkbeat_use_polling", "lvsd always follows links over netlink");
        INSTANCE_UNSUPPORTED.put("native_ipv6", "lvsd takes the family from the VIPs, as keepalived does now");
        INSTANCE_UNSUPPORTED.put("vrf", "lvsd does not bind to a VRF; run it in the VRF's context");
        INSTANCE_UNSUPPORTED.put("debug", "lvsd's detail comes from its log level (logback.xml)");
    }

    private void instance(Stmt i) {
        String ctx = "vrrp_instance";
        String kaName = Objects.requireNonNullElse(i.arg(0), "");
        String name = instanceNames.get(kaName);
        Obj o = new Obj();
        Entry self = vrrp.obj("instances").put(name, o);
        self.comments.add(i.at() + " vrrp_instance " + kaName);
        if (!name.equals(kaName)) {
            warn(self, i, "renamed " + name + ": lvsd names instances with letters, digits, '.', '_' and '-'");
        }
        Block b = new Block(ctx, i.children());
        Stmt s = b.last("state");
        if (s != null) {
            used(ctx, s, "explained");
            o.closingComments.add(s.at() + " state " + s.arg(0) + ": lvsd elects by priority alone. Every instance"
                    + " starts as BACKUP and becomes MASTER when it hears no higher priority for Master_Down_Interval;"
                    + " priority 255 (the address owner) becomes MASTER at once. keepalived does the same with"
                    + " state MASTER below 255");
        }
        s = b.last("interface");
        if (s != null && s.arg(0) != null && IFNAME.matcher(s.arg(0)).matches()) {
            o.put("interface", s.arg(0));
            used(ctx, s, "vrrp.instances.*.interface");
        } else if (s != null) {
            todo(o, ctx, s, "not an interface name");
        } else {
            todo(o, ctx, i, "no interface: lvsd needs one for every instance, also in unicast mode");
        }
        String ifname = s == null ? null : s.arg(0);
        s = b.last("virtual_router_id");
        if (s != null) {
            Long v = integer(o, ctx, s, 0, 1, 255);
            if (v != null) {
                o.put("virtual-router-id", Hocon.num(v));
                used(ctx, s, "vrrp.instances.*.virtual-router-id");
            }
        } else {
            todo(o, ctx, i, "no virtual_router_id (keepalived rejects the instance too)");
        }
        boolean master = "MASTER".equalsIgnoreCase(stateOf(i));
        // keepalived: no priority and state MASTER is the address owner, 255.
        long priority = master ? 255 : 100;
        Stmt prio = b.last("priority");
        if (prio != null) {
            Long v = integer(o, ctx, prio, 0, 1, 255);
            if (v != null) {
                priority = v;
                used(ctx, prio, "vrrp.instances.*.priority");
            }
        }
        // VIPs decide the family, and the family the version.
        Arr vips = new Arr();
        Boolean v6 = addresses(o, b, ifname, vips, i);
        s = b.last("version");
        int version = vrrpVersion;
        if (s != null) {
            Long v = integer(o, ctx, s, 0, 2, 3);
            if (v != null) {
                version = v.intValue();
                used(ctx, s, "vrrp.instances.*.version");
            }
        }
        if (Boolean.TRUE.equals(v6)) {
            version = 3;
        }
        if (version == 2) {
            Entry e = o.put("version", Hocon.num(2));
            if (s == null) {
                e.trailing = "keepalived's default (vrrp_version); lvsd's is 3";
            }
        }
        s = b.last("advert_int");
        if (s != null) {
            Long v = timer(o, ctx, s, 0);
            if (v != null) {
                if (version == 2 && (v % S != 0 || v < S || v > 255 * S)) {
                    todo(o, ctx, s, "VRRPv2 adverts are whole seconds 1-255");
                } else if (version == 3 && (v % 10_000 != 0 || v < 10_000 || v > 40_950_000)) {
                    todo(o, ctx, s, "VRRPv3 adverts are 10ms-40.95s in steps of 10 ms");
                } else {
                    if (v != S) {
                        o.put("advert-interval", Hocon.duration(v));
                    }
                    used(ctx, s, "vrrp.instances.*.advert-interval");
                }
            }
        }
        List<Stmt> nopre = b.all("nopreempt", "no_preempt");
        List<Stmt> pre = b.all("preempt");
        if (master) {
            for (Stmt p : nopre) {
                used(ctx, p, "ignored with state MASTER");
                diags.add(new Diagnostic(p.at(), Diagnostic.Kind.WARNING, "'" + p.text() + "': keepalived ignores it"
                        + " with state MASTER (and says so), and so does this file"));
            }
            nopre = List.of();
        }
        for (Stmt p : pre) {
            used(ctx, p, "vrrp.instances.*.preempt (lvsd's default)");
        }
        if (!nopre.isEmpty()) {
            o.put("preempt", Hocon.bool(false));
            for (Stmt p : nopre) {
                used(ctx, p, "vrrp.instances.*.preempt = false");
            }
        }
        s = b.last("preempt_delay");
        if (s != null && master) {
            used(ctx, s, "ignored with state MASTER");
            diags.add(new Diagnostic(s.at(), Diagnostic.Kind.WARNING, "'" + s.text() + "': keepalived ignores it"
                    + " with state MASTER (and says so), and so does this file"));
        } else if (s != null) {
            Long v = timer(o, ctx, s, 0);
            if (v != null && v <= 1000 * S) {
                if (v > 0) {
                    Entry e = o.put("preempt-delay", Hocon.duration(v));
                    warn(e, s, "lvsd counts the delay from the instance's start only; keepalived also waits"
                            + " this long after hearing a lower-priority master");
                }
                used(ctx, s, "vrrp.instances.*.preempt-delay");
            } else if (v != null) {
                todo(o, ctx, s, "expected 0-1000 seconds");
            }
        }
        unicast(o, b, ctx);
        authentication(o, b, ctx, version);
        if (!vips.items.isEmpty()) {
            o.put("virtual-addresses", vips);
        }
        track(o, b, ctx, i, prio, priority);
        o.moveAfter("priority", "virtual-router-id");
        notify(o, b, ctx, "vrrp.instances.*.notify");
        garp(o, b, ctx);
        s = b.last("accept");
        if (s != null) {
            used(ctx, s, "built in");
            o.closingComments.add(s.at() + " accept: lvsd always accepts traffic to the VIPs");
        }
        s = b.last("lvs_sync_daemon_interface");
        if (s != null && syncDaemon == null) {
            syncDaemon = new Stmt("lvs_sync_daemon", List.of(Objects.requireNonNullElse(s.arg(0), ""), kaName),
                    null, s.at());
            used(ctx, s, "sync-daemon");
            diags.add(new Diagnostic(s.at(), Diagnostic.Kind.WARNING, "'" + s.text() + "': deprecated in keepalived"
                    + " (global_defs lvs_sync_daemon); lvsd's sync-daemon section follows this instance"));
        } else if (s != null) {
            todo(o, ctx, s, "global_defs already sets the sync daemon");
        }
        rest(o, b, INSTANCE_UNSUPPORTED, INSTANCE_KNOWN);
    }

    private static String stateOf(Stmt instance) {
        String state = null;
        for (Stmt c : instance.children()) {
            if (c.keyword().equals("state")) {
                state = c.arg(0);
            }
        }
        return state;
    }

    /** virtual_ipaddress and virtual_ipaddress_excluded; returns whether the VIPs are IPv6, or null. */
    private Boolean addresses(Obj o, Block b, String ifname, Arr out, Stmt instance) {
        String ctx = b.context;
        Boolean family = null;
        Set<String> seen = new HashSet<>();
        for (Stmt block : b.all("virtual_ipaddress")) {
            used(ctx, block, "vrrp.instances.*.virtual-addresses");
            for (Stmt a : block.children()) {
                List<String> w = new ArrayList<>();
                w.add(a.keyword());
                w.addAll(a.args());
                String addr = w.get(0);
                int slash = addr.indexOf('/');
                InetAddress ip = Values.address(slash < 0 ? addr : addr.substring(0, slash));
                if (ip == null) {
                    todo(o, "virtual_ipaddress", a, "not an IP address");
                    continue;
                }
                int max = Values.v6(ip) ? 128 : 32;
                Long len = slash < 0 ? Long.valueOf(max) : Values.integer(addr.substring(slash + 1), 0, max);
                if (len == null) {
                    todo(o, "virtual_ipaddress", a, "prefix length outside 0-" + max);
                    continue;
                }
                if (family != null && family != Values.v6(ip)) {
                    todo(o, "virtual_ipaddress", a, "one address family per instance; put the other family in its own"
                            + " instance");
                    continue;
                }
                family = Values.v6(ip);
                String dev = null;
                List<String> notes = new ArrayList<>();
                boolean ok = true;
                for (int k = 1; k < w.size(); k++) {
                    String opt = w.get(k);
                    String val = k + 1 < w.size() ? w.get(k + 1) : null;
                    switch (opt) {
                        case "dev" -> {
                            dev = val;
                            k++;
                        }
                        case "label" -> {
                            notes.add("lvsd labels its IPv4 VIPs IFNAME:vrrpVRID; the label " + val + " is not kept");
                            k++;
                        }
                        case "scope" -> {
                            if (!"global".equals(val)) {
                                ok = false;
                                todo(o, "virtual_ipaddress", a, "lvsd adds VIPs with scope global only");
                            }
                            k++;
                        }
                        case "brd", "broadcast" -> {
                            ok = false;
                            todo(o, "virtual_ipaddress", a, "lvsd sets no broadcast address on a VIP");
                            k++;
                        }
                        case "no_track" -> notes.add("lvsd always puts back a VIP deleted while master");
                        case "-nodad", "nodad" -> notes.add("lvsd adds IPv6 VIPs with nodad always");
                        default -> {
                            ok = false;
                            todo(o, "virtual_ipaddress", a, "lvsd has no address option '" + opt + "'");
                        }
                    }
                }
                if (!ok) {
                    continue;
                }
                String text = Values.text(ip) + "/" + len;
                if (!seen.add(Values.text(ip))) {
                    diags.add(new Diagnostic(a.at(), Diagnostic.Kind.WARNING, "'" + a.text() + "': "
                            + Values.text(ip) + " is listed twice; kept once"));
                    o.closingComments.add("NOTE " + a.at() + " '" + a.text() + "': listed twice; kept once");
                    continue;
                }
                Entry e;
                if (dev != null && !dev.equals(ifname)) {
                    Obj vip = new Obj();
                    vip.inline = true;
                    vip.put("address", text);
                    vip.put("interface", dev);
                    e = out.add(vip);
                } else {
                    e = out.add(Hocon.str(text));
                }
                for (String n : notes) {
                    warn(e, a, n);
                }
            }
        }
        for (Stmt block : b.all("virtual_ipaddress_excluded")) {
            todo(o, ctx, block, "lvsd has no excluded addresses: add them to virtual-addresses (adverts then list"
                    + " them, and a keepalived peer logs an address mismatch), or add them from notify scripts");
        }
        if (out.items.isEmpty()) {
            todo(o, ctx, instance, "no virtual_ipaddress: lvsd needs at least one VIP per instance");
        }
        return family;
    }

    private void unicast(Obj o, Block b, String ctx) {
        Stmt src = b.last("unicast_src_ip");
        Stmt msrc = b.last("mcast_src_ip");
        Stmt check = b.last("check_unicast_src");
        List<String> peers = new ArrayList<>();
        Long minTtl = null;
        for (Stmt block : b.all("unicast_peer")) {
            used(ctx, block, "vrrp.instances.*.unicast-peers");
            for (Stmt p : block.children()) {
                InetAddress a = Values.address(p.keyword());
                if (a == null) {
                    todo(o, "unicast_peer", p, "not an IP address");
                    continue;
                }
                peers.add(Values.text(a));
                for (int k = 0; k + 1 < p.args().size(); k += 2) {
                    Long v = Values.integer(p.arg(k + 1), 0, 255);
                    if (p.arg(k).equals("min_ttl") && v != null) {
                        minTtl = minTtl == null ? v : Math.min(minTtl, v);
                    } else if (!(p.arg(k).equals("max_ttl") && v != null && v == 255)) {
                        todo(o, "unicast_peer", p, "lvsd has min_ttl only (unicast-min-ttl, one for all peers)");
                    }
                }
            }
        }
        if (!peers.isEmpty()) {
            o.put("unicast-peers", Hocon.strings(peers));
            Stmt s = src != null ? src : msrc;
            if (s != null) {
                InetAddress a = Values.address(s.arg(0));
                if (a == null) {
                    todo(o, ctx, s, "not an IP address");
                } else {
                    o.put("unicast-source", Values.text(a));
                    used(ctx, s, "vrrp.instances.*.unicast-source");
                }
            }
            if (minTtl != null && minTtl > 0) {
                o.put("unicast-min-ttl", Hocon.num(minTtl));
            }
            if (check == null && !checkUnicastSrc && minTtl == null) {
                Entry e = o.put("unicast-peers-check", Hocon.bool(false));
                e.trailing = "keepalived's default without vrrp_check_unicast_src: any host may send adverts."
                        + " lvsd's default (true) accepts only the peers: remove this line";
            } else if (check != null) {
                used(ctx, check, "vrrp.instances.*.unicast-peers-check (lvsd's default)");
            }
        } else {
            for (Stmt s : new Stmt[] {src, check}) {
                if (s != null) {
                    todo(o, ctx, s, "only with unicast_peer");
                }
            }
            if (msrc != null) {
                todo(o, ctx, msrc, "lvsd sends multicast adverts from the interface's primary address");
            }
        }
    }

    private void authentication(Obj o, Block b, String ctx, int version) {
        Stmt a = b.last("authentication");
        if (a == null) {
            return;
        }
        Block ab = new Block("authentication", a.children());
        Stmt type = ab.last("auth_type");
        Stmt pass = ab.last("auth_pass");
        if (type != null && !"PASS".equalsIgnoreCase(type.arg(0))) {
            todo(o, "authentication", type, "lvsd supports the simple password (PASS) only; IPsec AH is not"
                    + " supported (RFC 3768 removed authentication)");
        } else if (version != 2) {
            todo(o, ctx, a, "VRRPv3 has no authentication (RFC 5798), and keepalived ignores it for v3");
        } else if (pass == null || pass.arg(0) == null) {
            todo(o, ctx, a, "no auth_pass");
        } else {
            String p = pass.arg(0);
            Entry e = o.obj("authentication").put("password", p.length() > 8 ? p.substring(0, 8) : p);
            used(ctx, a, "vrrp.instances.*.authentication.password");
            if (type != null) {
                used("authentication", type, "vrrp.instances.*.authentication.password");
            }
            used("authentication", pass, "vrrp.instances.*.authentication.password");
            if (p.length() > 8) {
                warn(e, pass, "keepalived uses only the first 8 characters, and so does this file");
            }
        }
        rest(o, ab, Map.of(), Set.of("auth_type", "auth_pass"));
    }

    private void track(Obj o, Block b, String ctx, Stmt instance, Stmt prio, long priority) {
        boolean inGroup = grouped.contains(instance.arg(0));
        int shift = 0;
        Obj t = new Obj();
        Arr ifs = new Arr();
        Arr scr = new Arr();
        Arr fil = new Arr();
        for (Stmt block : b.all("track_interface")) {
            used(ctx, block, "vrrp.instances.*.track.interfaces");
            for (Stmt e : block.children()) {
                Weight w = trackWeight(o, e, inGroup);
                if (w == null) {
                    continue;
                }
                shift += w.shift();
                ifs.add(w.lvsd() == 0 ? Hocon.str(e.keyword()) : named(e.keyword(), w.lvsd()));
            }
        }
        for (Stmt block : b.all("track_script")) {
            used(ctx, block, "vrrp.instances.*.track.scripts");
            for (Stmt e : block.children()) {
                if (!vrrpScripts.containsKey(e.keyword())) {
                    String near = Spelling.closest(e.keyword(), vrrpScripts.keySet());
                    todo(o, "track_script", e, "no vrrp_script " + e.keyword()
                            + (near == null ? "" : " (did you mean " + near + "?)"));
                    continue;
                }
                Weight w;
                if (e.args().isEmpty()) {
                    w = scriptWeights.getOrDefault(e.keyword(), new Weight(0, 0));
                    if (inGroup && w.lvsd() != 0) {
                        w = new Weight(0, 0);
                    }
                } else {
                    w = trackWeight(o, e, inGroup);
                    if (w == null) {
                        continue;
                    }
                }
                shift += w.shift();
                Weight dflt = scriptWeights.getOrDefault(e.keyword(), new Weight(0, 0));
                scr.add(w.lvsd() == dflt.lvsd() ? Hocon.str(e.keyword()) : named(e.keyword(), w.lvsd()));
            }
        }
        for (Stmt block : b.all("track_file")) {
            used(ctx, block, "vrrp.instances.*.track.files");
            for (Stmt e : block.children()) {
                Stmt def = trackFiles.get(e.keyword());
                if (def == null) {
                    todo(o, "track_file", e, "no track_file " + e.keyword());
                    continue;
                }
                String path = null;
                long w = 1;
                boolean reverse = false;
                for (Stmt d : def.children()) {
                    switch (d.keyword()) {
                        case "file" -> path = d.arg(0);
                        case "weight" -> {
                            Long v = Values.integer(d.arg(0), -254, 254);
                            w = v == null ? w : v;
                            reverse = "reverse".equals(d.arg(1));
                        }
                        case "init_file" -> todo(o, "track_file", d, "lvsd does not create tracked files;"
                                + " create it (e.g. systemd-tmpfiles) with the value keepalived wrote");
                        default -> todo(o, "track_file", d, "unknown keyword in track_file");
                    }
                }
                if (!e.args().isEmpty()) {
                    Long v = "weight".equals(e.arg(0)) ? Values.integer(e.arg(1), -254, 254) : null;
                    if (v == null) {
                        todo(o, "track_file", e, "expected NAME [weight -254..254 [reverse]]");
                        continue;
                    }
                    w = v;
                    reverse = "reverse".equals(e.arg(2));
                }
                if (reverse) {
                    w = -w;
                }
                if (inGroup) {
                    w = 0;
                }
                if (path == null || !path.startsWith("/")) {
                    todo(o, "track_file", def, "lvsd needs an absolute file path");
                    continue;
                }
                if (w == 0) {
                    todo(o, "track_file", e, "keepalived puts the instance in FAULT while the file holds a non-zero"
                            + " value (weight 0" + (inGroup ? ", as in every sync group" : "") + "); lvsd has no such"
                            + " mode: use a track script that tests the file");
                    continue;
                }
                Obj x = new Obj();
                x.inline = true;
                x.put("path", path);
                x.put("weight", Hocon.num(w));
                fil.add(x);
            }
        }
        if (!ifs.items.isEmpty()) {
            t.put("interfaces", ifs);
        }
        if (!scr.items.isEmpty()) {
            t.put("scripts", scr);
        }
        if (!fil.items.isEmpty()) {
            t.put("files", fil);
        }
        if (!t.isEmpty()) {
            o.put("track", t);
        }
        if (inGroup && !t.isEmpty()) {
            o.closingComments.add("keepalived sets every tracking weight of a sync group's member to 0 (FAULT),"
                    + " and so does this file");
        }
        long p = priority + shift;
        if (p != 100 || prio != null) {
            if (p < 1 || p > 255 || shift != 0 && p >= 255) {
 todo(o, ctx, prio != null ? prio : instance, "priority " + priority + " with positive tracking weights"
                        + " (" + shift + ") does not fit lvsd's 1-254");
            } else if (p != 100) {
                Entry e = o.put("priority", Hocon.num(p));
                if (prio == null) {
                    e.trailing = "keepalived's default for state MASTER without a priority: the address owner";
                }
                if (shift != 0) {
                    e.trailing = "keepalived's " + priority + " plus " + shift + " from positive tracking weights"
                            + " (lvsd subtracts a weight while the item is down instead)";
                }
            }
        }
    }

    /** A tracked item with its weight: {@code { name = eth1, weight = -50 }}. */
    private static Obj named(String name, int weight) {
        Obj x = new Obj();
        x.inline = true;
        x.put("name", name);
        x.put("weight", Hocon.num(weight));
        return x;
    }

    /** {@code NAME [weight W [reverse|noreverse]]} in a track_* block. */
    private Weight trackWeight(Obj o, Stmt e, boolean inGroup) {
        if (e.args().isEmpty()) {
            return new Weight(0, 0);
        }
        Long v = "weight".equals(e.arg(0)) ? Values.integer(e.arg(1), -254, 254) : null;
        if (v == null || e.args().size() > 3 || e.args().size() == 3 && !Set.of("reverse", "noreverse", "no_reverse")
                .contains(e.arg(2))) {
            todo(o, "track", e, "expected NAME [weight -253..253 [reverse]]");
            return null;
        }
        boolean reverse = "reverse".equals(e.arg(2));
        if (v == 0 && reverse) {
            todo(o, "track", e, "lvsd cannot put an instance in FAULT while the item is up");
            return null;
        }
        return inGroup ? new Weight(0, 0) : weight(v, reverse);
    }

    private void notify(Obj o, Block b, String ctx, String key) {
        String[][] kinds = {{"notify_master", "master"}, {"notify_backup", "backup"}, {"notify_fault", "fault"},
                {"notify_stop", "stop"}, {"notify", "any"}};
        for (String[] k : kinds) {
            Stmt s = b.last(k[0]);
            if (s == null) {
                continue;
            }
            if (s.args().isEmpty()) {
                todo(o, ctx, s, "no script");
                continue;
            }
            o.obj("notify").put(k[1], s.arg(0));
            used(ctx, s, key + "." + k[1]);
            if (s.args().size() > 1 && !(s.args().size() == 2 && s.arg(1).equals(scriptUser))) {
                todo(o, ctx, s, "lvsd runs every script as scripts.user; a per-script user is not supported"
                        + " (quote the command if the words after it are its arguments)");
            }
        }
    }

    private void garp(Obj o, Block b, String ctx) {
        String[][] keys = {{"garp_master_delay", "delay"}, {"garp_master_repeat", "repeat"},
                {"garp_master_refresh", "refresh"}, {"garp_master_refresh_repeat", "refresh-repeat"}};
        for (String[] k : keys) {
            Stmt s = b.last(k[0]);
            if (s == null) {
                continue;
            }
            if (k[1].equals("delay") || k[1].equals("refresh")) {
                Long v = timer(o, ctx, s, 0);
                if (v != null) {
                    o.obj("garp").put(k[1], Hocon.duration(v / S * S));
                    used(ctx, s, "vrrp.instances.*.garp." + k[1]);
                }
            } else {
                Long v = integer(o, ctx, s, 0, 1, 100);
                if (v != null) {
                    o.obj("garp").put(k[1], Hocon.num(v));
                    used(ctx, s, "vrrp.instances.*.garp." + k[1]);
                }
            }
        }
    }

    // ---- vrrp_sync_group ----------------------------------------------------------------------------------

    private void syncGroup(Stmt g) {
        String ctx = "vrrp_sync_group";
        String name = lvsdName(Objects.requireNonNullElse(g.arg(0), ""));
        Obj o = new Obj();
        Entry self = vrrp.obj("sync-groups").put(name, o);
        self.comments.add(g.at() + " vrrp_sync_group " + Objects.requireNonNullElse(g.arg(0), ""));
        Block b = new Block(ctx, g.children());
        List<String> members = new ArrayList<>();
        for (Stmt grp : b.all("group")) {
            used(ctx, grp, "vrrp.sync-groups.*.instances");
            for (Stmt m : grp.children()) {
                List<String> names = new ArrayList<>();
                names.add(m.keyword());
                names.addAll(m.args());
                for (String n : names) {
                    if (instanceNames.containsKey(n)) {
                        members.add(instanceNames.get(n));
                    } else {
                        todo(o, "group", m, "no vrrp_instance " + n);
                    }
                }
            }
        }
        if (members.isEmpty()) {
            vrrp.obj("sync-groups").entries.remove(self);
            todo(vrrp.obj("sync-groups"), ctx, g, "no member instances (they go in a 'group { }' block)");
            o = vrrp.obj("sync-groups");
        } else {
            o.put("instances", Hocon.strings(members));
        }
        notify(o, b, ctx, "vrrp.sync-groups.*.notify");
        for (Stmt s : b.all("track_interface", "track_script", "track_file", "track_process", "track_bfd")) {
            todo(o, ctx, s, "lvsd tracks per instance: move the tracked items into each member's track block"
                    + " (weight 0, FAULT, faults the whole group)");
        }
        for (Stmt s : b.all("global_tracking", "sync_group_tracking_weight")) {
            todo(o, ctx, s, "lvsd keeps each member's tracking weights; keepalived's default sets them to 0 in a group");
        }
        rest(o, b, Map.of("smtp_alert", "e-mail is not lvsd's job: use notify scripts",
                "notify_priority_changes", "lvsd has no notify FIFO", "notify_deleted", "lvsd has no such notify"),
                Set.of("group", "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify"));
    }

    // ---- virtual_server --------------------------------------------------------------------------------------

    /** Settings a virtual server passes down to its real servers and they to their checkers. */
    private record Inherited(Long delayLoop, Long connectTimeout, Long retry, Long delayBeforeRetry, Long warmup,
                             Boolean alpha, Boolean inhibit, String virtualhost) {
        Inherited over(Inherited parent) {
            return new Inherited(delayLoop != null ? delayLoop : parent.delayLoop,
                    connectTimeout != null ? connectTimeout : parent.connectTimeout,
                    retry != null ? retry : parent.retry,
                    delayBeforeRetry != null ? delayBeforeRetry : parent.delayBeforeRetry,
                    warmup != null ? warmup : parent.warmup, alpha != null ? alpha : parent.alpha,
                    inhibit != null ? inhibit : parent.inhibit,
                    virtualhost != null ? virtualhost : parent.virtualhost);
        }
    }

    private Inherited inherited(Obj o, Block b) {
        String ctx = b.context;
        Long delayLoop = null;
        Long connect = null;
        Long retry = null;
        Long dbr = null;
        Long warmup = null;
        Boolean alpha = null;
        Boolean inhibit = null;
        String vhost = null;
        Stmt s = b.last("delay_loop");
        if (s != null && (delayLoop = timer(o, ctx, s, 0)) != null) {
            used(ctx, s, "check.interval");
        }
        s = b.last("connect_timeout");
        if (s != null && (connect = timer(o, ctx, s, 0)) != null) {
            used(ctx, s, "check.timeout");
        }
        s = b.last("retry", "nb_get_retry");
        if (s != null && (retry = integer(o, ctx, s, 0, 0, 99)) != null) {
            used(ctx, s, "check.retries (retry + 1)");
            if (s.keyword().equals("nb_get_retry")) {
                diags.add(new Diagnostic(s.at(), Diagnostic.Kind.WARNING, "'" + s.text() + "': keepalived's old"
                        + " spelling of retry; keepalived 2.x no longer knows it and ignores it. Converted as retry"));
            }
        }
        s = b.last("delay_before_retry");
        if (s != null && (dbr = timer(o, ctx, s, 0)) != null) {
            used(ctx, s, "check.retry-delay");
        }
        s = b.last("warmup");
        if (s != null && (warmup = timer(o, ctx, s, 0)) != null) {
            used(ctx, s, "check.warmup");
        }
        s = b.last("alpha");
        if (s != null && (alpha = bool(o, ctx, s)) != null) {
            used(ctx, s, "check.alpha");
        }
        s = b.last("inhibit_on_failure");
        if (s != null && (inhibit = bool(o, ctx, s)) != null) {
            used(ctx, s, "on-failure = quiesce");
        }
        s = b.last("virtualhost");
        if (s != null) {
            vhost = s.arg(0);
            used(ctx, s, "check.http.host");
        }
        return new Inherited(delayLoop, connect, retry, dbr, warmup, alpha, inhibit, vhost);
    }

    private static final Map<String, String> VS_UNSUPPORTED = Map.of(
            "ha_suspend", "lvsd checks real servers whether or not this director holds the VIP",
            "smtp_alert", "e-mail is not lvsd's job: use quorum.up / quorum.down or alert on lvsd's metrics",
            "snmp_name", "lvsd has no SNMP; the virtual server's name labels its metrics",
            "omega", "lvsd runs no quorum.down or notify.down scripts when it stops",
            "sorry_server_inhibit", "lvsd adds the sorry server with its weight and removes it when quorum returns",
            "sorry_server_lvs_method", "lvsd forwards to the sorry server with the service's forwarding method",
            "flag-3", "the kernel defines no third flag for lvsd's schedulers",
            "quorum_max", "lvsd has no upper quorum");
    private static final Set<String> VS_KNOWN = Set.of("lvs_sched", "lb_algo", "lvs_method", "lb_kind",
            "persistence_timeout", "persistence_granularity", "persistence_engine", "protocol", "delay_loop",
            "connect_timeout", "retry", "nb_get_retry", "delay_before_retry", "warmup", "alpha", "inhibit_on_failure",
            "virtualhost", "quorum", "hysteresis", "quorum_up", "quorum_down", "sorry_server", "ops", "sh-port",
            "sh-fallback", "mh-port", "mh-fallback", "flag-1", "flag-2", "ip_family", "real_server");

    private void virtualServer(Stmt v) {
        String ctx = "virtual_server";
        List<Obj> services = new ArrayList<>();
        List<String> names = new ArrayList<>();
        String kind = v.arg(0);
        if ("group".equals(kind)) {
            Stmt g = vsGroups.get(Objects.requireNonNullElse(v.arg(1), ""));
            if (g == null) {
                Obj o = new Obj();
                servers.add(o).comments.add(v.at() + " " + v.text());
                todo(o, ctx, v, "no virtual_server_group " + v.arg(1));
                return;
            }
            groupMembers(g, v, services, names);
        } else if ("fwmark".equals(kind)) {
            Long mark = Values.integer(v.arg(1), 1, 4294967295L);
            Obj o = new Obj();
            if (mark == null) {
                servers.add(o).comments.add(v.at() + " " + v.text());
                todo(o, ctx, v, "a firewall mark is 1-4294967295");
                return;
            }
            o.put("fwmark", Hocon.num(mark));
            services.add(o);
            names.add("fwmark-" + mark);
        } else {
            InetAddress a = Values.address(kind);
            Long port = v.arg(1) == null ? Long.valueOf(0) : Values.integer(v.arg(1), 0, 65535);
            Obj o = new Obj();
            if (a == null || port == null) {
                servers.add(o).comments.add(v.at() + " " + v.text());
                todo(o, ctx, v, "expected IP [PORT], fwmark N or group NAME");
                return;
            }
            o.put("address", Values.endpoint(a, port));
            services.add(o);
            names.add(Values.text(a) + "-" + port);
        }
        // Convert the body once into a template object, then copy it into each service.
        Obj body = new Obj();
        Block b = new Block(ctx, v.children());
        boolean fwmark = services.get(0).get("fwmark") != null;
        Stmt proto = b.last("protocol");
        String protocol = "udp";
        if (proto != null && fwmark) {
            used(ctx, proto, "ignored for fwmark");
            body.closingComments.add("NOTE " + proto.at() + " '" + proto.text() + "': a firewall-mark service has no"
                    + " protocol; keepalived ignores it (and warns), and so does this file");
            diags.add(new Diagnostic(proto.at(), Diagnostic.Kind.WARNING, "'" + proto.text() + "': ignored for a"
                    + " firewall-mark service, as keepalived ignores it"));
            proto = null;
            protocol = "tcp";
        } else if (fwmark) {
            protocol = "tcp";
        } else if (proto != null) {
            String p = Objects.requireNonNullElse(proto.arg(0), "").toLowerCase(Locale.ROOT);
            if (Set.of("tcp", "udp", "sctp").contains(p)) {
                protocol = p;
                used(ctx, proto, "virtual-servers[].protocol");
            } else {
                todo(body, ctx, proto, "expected TCP, UDP or SCTP");
            }
        }
        if (!protocol.equals("tcp")) {
            Entry e = body.put("protocol", protocol);
            if (proto == null && !fwmark) {
                e.trailing = "keepalived's default when no protocol is set (it warns about it)";
            }
        }
        Stmt sched = b.last("lvs_sched", "lb_algo");
        String scheduler = "wlc";
        if (sched != null) {
            String sc = Objects.requireNonNullElse(sched.arg(0), "");
            if (Set.of("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos")
                    .contains(sc)) {
                scheduler = sc;
                if (!sc.equals("wlc")) {
                    body.put("scheduler", sc);
                }
                used(ctx, sched, "virtual-servers[].scheduler");
            } else {
                todo(body, ctx, sched, "unknown scheduler (keepalived falls back to wlc)");
            }
        }
        List<String> flags = new ArrayList<>();
        for (Stmt f : b.all("sh-port", "sh-fallback", "mh-port", "mh-fallback", "flag-1", "flag-2")) {
            String k = f.keyword();
            String prefix = k.startsWith("flag-") ? scheduler : k.substring(0, 2);
            String flag = switch (k) {
                case "flag-1" -> prefix + "-fallback";
                case "flag-2" -> prefix + "-port";
                default -> k;
            };
            if (!prefix.equals(scheduler) || !prefix.equals("sh") && !prefix.equals("mh")) {
                todo(body, ctx, f, "a flag of the " + prefix + " scheduler, not of " + scheduler);
            } else if (!flags.contains(flag)) {
                flags.add(flag);
                used(ctx, f, "virtual-servers[].scheduler-flags");
            }
        }
        if (!flags.isEmpty()) {
            body.put("scheduler-flags", Hocon.strings(flags));
        }
        Stmt ops = b.last("ops");
        if (ops != null) {
            if (protocol.equals("udp")) {
                body.put("one-packet", Hocon.bool(true));
                used(ctx, ops, "virtual-servers[].one-packet");
            } else {
                todo(body, ctx, ops, "one-packet scheduling is for UDP only");
            }
        }
        Stmt method = b.last("lvs_method", "lb_kind");
        Forwarding fwd = new Forwarding("nat", null);
        if (method != null) {
            Forwarding f = forwarding(body, ctx, method);
            if (f != null) {
                fwd = f;
                if (!f.method().equals("nat")) {
                    body.put("forwarding", f.method());
                }
                if (f.tunnel() != null && !plain(f.tunnel()).equals(plain(ipip()))) {
                    body.put("tunnel", f.tunnel());
                }
                used(ctx, method, "virtual-servers[].forwarding");
            }
        }
        Stmt ip = b.last("ip_family");
        if (ip != null) {
            if (fwmark && ("inet".equals(ip.arg(0)) || "inet6".equals(ip.arg(0)))) {
                if (ip.arg(0).equals("inet6")) {
                    body.put("family", "ipv6");
                }
                used(ctx, ip, "virtual-servers[].family");
            } else {
                todo(body, ctx, ip, "ip_family is inet or inet6, for a fwmark service");
            }
        }
        persistence(body, b);
        Inherited vs = inherited(body, b).over(new Inherited(60 * S, 5 * S, null, null, null, false, false, null));
        quorum(body, b);
        List<Stmt> rss = b.all("real_server");
        Stmt sorry = b.last("sorry_server");
        if (sorry != null) {
            InetAddress a = Values.address(sorry.arg(0));
            Long port = sorry.arg(1) == null ? null : Values.integer(sorry.arg(1), 1, 65535);
            if (a == null || sorry.arg(1) != null && port == null) {
                todo(body, ctx, sorry, "expected IP [PORT]");
            } else {
                body.put("sorry-server", port == null ? Values.text(a) : Values.endpoint(a, port));
                used(ctx, sorry, "virtual-servers[].sorry-server");
            }
        }
        Arr reals = new Arr();
        List<Obj> checks = new ArrayList<>();
        Boolean inhibitAll = null;
        boolean inhibitMixed = false;
        for (Stmt r : rss) {
            used(ctx, r, "virtual-servers[].real-servers");
            Obj ro = new Obj();
            Entry re = reals.add(ro);
            re.comments.add(r.at() + " " + r.text());
            RealServer rs = realServer(r, ro, vs, fwd, protocol);
            checks.add(rs.check());
            if (inhibitAll == null) {
                inhibitAll = rs.inhibit();
            } else if (inhibitAll != rs.inhibit()) {
                inhibitMixed = true;
            }
        }
        if (inhibitMixed) {
            todo(body, ctx, v, "lvsd sets on-failure per virtual server; here only some real servers have"
                    + " inhibit_on_failure. The file uses remove for all");
        } else if (Boolean.TRUE.equals(inhibitAll) || inhibitAll == null && Boolean.TRUE.equals(vs.inhibit())) {
            Entry e = body.put("on-failure", "quiesce");
            e.trailing = "inhibit_on_failure: weight 0 instead of removal";
        }
        // One check for the service when every real server has the same, else one each.
        boolean same = !checks.isEmpty() && checks.stream().allMatch(c -> plain(c).equals(plain(checks.get(0))));
        if (same) {
            body.put("check", checks.get(0));
        } else {
            for (int k = 0; k < checks.size(); k++) {
                ((Obj) reals.items.get(k).value).put("check", checks.get(k));
            }
        }
        if (!reals.items.isEmpty()) {
            body.put("real-servers", reals);
        }
        rest(body, b, VS_UNSUPPORTED, VS_KNOWN);
        for (int k = 0; k < services.size(); k++) {
            Obj o = services.get(k);
            String name = unique((fwmark || o.get("fwmark") != null ? "" : protocol + "-") + names.get(k));
            Obj out = new Obj();
            Entry e = servers.add(out);
            e.comments.add(v.at() + " " + v.text() + (services.size() > 1 ? " (member " + (k + 1) + " of "
                    + services.size() + ")" : ""));
            out.put("name", name);
            out.entries.addAll(o.entries);
            out.entries.addAll(body.entries);
            out.closingComments.addAll(o.closingComments);
            out.closingComments.addAll(body.closingComments);
        }
    }

    /** A check's text without its comments, to see whether two real servers have the same. */
    private static String plain(Obj check) {
        Obj o = new Obj();
        o.put("check", check);
        return Hocon.render(o).lines().map(l -> l.replaceAll("\\s+#.*$", "")).filter(l -> !l.isBlank())
                .reduce("", (a, b) -> a + b + "\n");
    }

    private String unique(String base) {
        String n = lvsdName(base);
        String u = n;
        for (int k = 2; !serverNames.add(u); k++) {
            u = n + "-" + k;
        }
        return u;
    }

    private void groupMembers(Stmt g, Stmt v, List<Obj> services, List<String> names) {
        String ctx = "virtual_server_group";
        for (Stmt m : g.children()) {
            Obj o = new Obj();
            if (m.keyword().equals("fwmark")) {
                Long mark = Values.integer(m.arg(0), 1, 4294967295L);
                if (mark == null) {
                    todo(o, ctx, m, "a firewall mark is 1-4294967295");
                    continue;
                }
                o.put("fwmark", Hocon.num(mark));
                if ("inet6".equals(m.arg(1))) {
                    o.put("family", "ipv6");
                }
                services.add(o);
                names.add(g.arg(0) + "-fwmark-" + mark);
                used(ctx, m, "virtual-servers[].fwmark");
                continue;
            }
            Long port = m.arg(0) == null ? Long.valueOf(0) : Values.integer(m.arg(0), 0, 65535);
            List<InetAddress> range = range(m.keyword());
            if (range == null || port == null) {
                todo(unplaced, ctx, m, "expected IP, IP-LAST, IP-IP or IP/LEN, then a port (at most 256 addresses)");
                continue;
            }
            for (InetAddress a : range) {
                Obj x = new Obj();
                x.put("address", Values.endpoint(a, port));
                services.add(x);
                names.add(Values.text(a) + "-" + port);
            }
            used(ctx, m, "virtual-servers[].address");
        }
        if (services.isEmpty()) {
            Obj o = new Obj();
            servers.add(o).comments.add(v.at() + " " + v.text());
            todo(o, "virtual_server", v, "virtual_server_group " + g.arg(0) + " has no usable member");
            services.add(o);
            names.add(Objects.requireNonNullElse(g.arg(0), "group"));
        }
    }

    /** keepalived's address ranges: {@code a.b.c.d-e}, {@code a.b.c.d-a.b.c.e}, {@code a.b.c.d/nn}. */
    private static List<InetAddress> range(String spec) {
        try {
            int dash = spec.indexOf('-');
            int slash = spec.indexOf('/');
            InetAddress first = Values.address(dash > 0 ? spec.substring(0, dash) : slash > 0 ? spec.substring(0, slash) : spec);
            if (first == null) {
                return null;
            }
            byte[] f = first.getAddress();
            java.math.BigInteger lo = new java.math.BigInteger(1, f);
            java.math.BigInteger hi = lo;
            if (dash > 0) {
                String last = spec.substring(dash + 1);
                InetAddress l = Values.address(last);
                if (l != null && l.getAddress().length == f.length) {
                    hi = new java.math.BigInteger(1, l.getAddress());
                } else {
                    long n = Values.v6(first) ? Long.parseLong(last, 16) : Long.parseLong(last);
                    if (n > (Values.v6(first) ? 0xffff : 255)) {
                        return null;
                    }
                    java.math.BigInteger mask = java.math.BigInteger.valueOf(Values.v6(first) ? 0xffff : 0xff);
                    hi = lo.andNot(mask).or(java.math.BigInteger.valueOf(n));
                }
            } else if (slash > 0) {
                int bits = f.length * 8;
                int len = Integer.parseInt(spec.substring(slash + 1));
                if (len < 0 || len > bits) {
                    return null;
                }
                java.math.BigInteger size = java.math.BigInteger.ONE.shiftLeft(bits - len);
                lo = lo.andNot(size.subtract(java.math.BigInteger.ONE));
                hi = lo.add(size).subtract(java.math.BigInteger.ONE);
            }
            java.math.BigInteger count = hi.subtract(lo).add(java.math.BigInteger.ONE);
            if (count.signum() <= 0 || count.compareTo(java.math.BigInteger.valueOf(256)) > 0) {
                return null;
            }
            List<InetAddress> out = new ArrayList<>();
            for (java.math.BigInteger x = lo; x.compareTo(hi) <= 0; x = x.add(java.math.BigInteger.ONE)) {
                byte[] raw = x.toByteArray();
                byte[] addr = new byte[f.length];
                int n = Math.min(raw.length, addr.length);
                System.arraycopy(raw, raw.length - n, addr, addr.length - n, n);
                out.add(InetAddress.getByAddress(addr));
            }
            return out;
        } catch (NumberFormatException | java.net.UnknownHostException e) {
            return null;
        }
    }

    private record Forwarding(String method, Obj tunnel) {}

    private static Obj ipip() {
        Obj t = new Obj();
        t.inline = true;
        t.put("type", "ipip");
        return t;
    }

    private Forwarding forwarding(Obj o, String ctx, Stmt s) {
        String m = Objects.requireNonNullElse(s.arg(0), "").toUpperCase(Locale.ROOT);
        switch (m) {
            case "NAT", "DR" -> {
                if (s.args().size() > 1) {
                    todo(o, ctx, s, "NAT and DR take no options");
                    return null;
                }
                return new Forwarding(m.toLowerCase(Locale.ROOT), null);
            }
            case "TUN" -> {
                Obj t = new Obj();
                t.inline = true;
                t.put("type", "ipip");
                int k = 1;
                if ("type".equals(s.arg(k))) {
                    String type = s.arg(k + 1);
                    k += 2;
                    if ("gue".equals(type)) {
                        Long port = "port".equals(s.arg(k)) ? Values.integer(s.arg(k + 1), 1, 65535) : null;
                        if (port == null) {
                            todo(o, ctx, s, "a gue tunnel needs 'port N'");
                            return null;
                        }
                        k += 2;
                        t.put("type", "gue");
                        t.put("port", Hocon.num(port));
                    } else if ("gre".equals(type)) {
                        t.put("type", "gre");
                    } else if (!"ipip".equals(type)) {
                        todo(o, ctx, s, "tunnel type is ipip, gue or gre");
                        return null;
                    }
                }
                if (s.arg(k) != null) {
                    String c = switch (s.arg(k)) {
                        case "nocsum" -> "none";
                        case "csum" -> "csum";
                        case "remcsum" -> "remcsum";
                        default -> null;
                    };
                    if (c == null || s.args().size() > k + 1) {
                        todo(o, ctx, s, "expected TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]");
                        return null;
                    }
                    if (!c.equals("none")) {
                        t.put("checksum", c);
                    }
                }
                return new Forwarding("tun", t);
            }
            default -> {
                todo(o, ctx, s, "expected NAT, DR or TUN");
                return null;
            }
        }
    }

    private void persistence(Obj o, Block b) {
        String ctx = b.context;
        Stmt t = b.last("persistence_timeout");
        Stmt g = b.last("persistence_granularity");
        Stmt e = b.last("persistence_engine");
        Long timeout = null;
        if (t != null) {
            timeout = t.arg(0) == null ? Long.valueOf(360) : integer(o, ctx, t, 0, 1, 31 * 24 * 3600L);
            if (timeout != null) {
                Obj p = o.obj("persistence");
                Entry x = p.put("timeout", Hocon.duration(timeout * S));
                if (t.arg(0) == null) {
                    x.trailing = "keepalived's default for a bare persistence_timeout";
                }
                used(ctx, t, "virtual-servers[].persistence.timeout");
            }
        }
        if (g != null) {
            if (timeout == null) {
                todo(o, ctx, g, "only with persistence_timeout");
            } else if (g.arg(0) == null) {
                todo(o, ctx, g, "a netmask is missing");
            } else {
                Long len = Values.integer(g.arg(0), 1, 128);
                InetAddress mask = Values.address(g.arg(0));
                if (len != null) {
                    o.obj("persistence").put("netmask", Hocon.num(len));
                } else if (mask != null) {
                    o.obj("persistence").put("netmask", Values.text(mask));
                } else {
                    todo(o, ctx, g, "expected a netmask like 255.255.255.0 or a prefix length");
                    g = null;
                }
                if (g != null) {
                    used(ctx, g, "virtual-servers[].persistence.netmask");
                }
            }
        }
        if (e != null) {
            if (timeout == null || !"sip".equals(e.arg(0))) {
                todo(o, ctx, e, "the engine is sip, with persistence_timeout");
            } else {
                o.obj("persistence").put("engine", "sip");
                used(ctx, e, "virtual-servers[].persistence.engine");
            }
        }
    }

    private void quorum(Obj o, Block b) {
        String ctx = b.context;
        Stmt q = b.last("quorum");
        if (q != null) {
            Long v = integer(o, ctx, q, 0, 1, 1L << 31);
            if (v != null) {
                if (v != 1) {
                    o.obj("quorum").put("weight", Hocon.num(v));
                }
                used(ctx, q, "virtual-servers[].quorum.weight");
            }
        }
        Stmt h = b.last("hysteresis");
        if (h != null) {
            Long v = integer(o, ctx, h, 0, 0, 1L << 31);
            if (v != null) {
                if (v != 0) {
                    o.obj("quorum").put("hysteresis", Hocon.num(v));
                }
                used(ctx, h, "virtual-servers[].quorum.hysteresis");
            }
        }
        for (String[] k : new String[][] {{"quorum_up", "up"}, {"quorum_down", "down"}}) {
            Stmt s = b.last(k[0]);
            if (s == null) {
                continue;
            }
            if (s.args().isEmpty()) {
                todo(o, ctx, s, "no script");
                continue;
            }
            o.obj("quorum").put(k[1], s.arg(0));
            used(ctx, s, "virtual-servers[].quorum." + k[1]);
            if (s.args().size() > 1) {
                todo(o, ctx, s, "lvsd runs every script as scripts.user; a per-script user is not supported"
                        + " (quote the command if the words after it are its arguments)");
            }
        }
    }

    // ---- real_server and checks -------------------------------------------------------------------------

    private record RealServer(Obj check, boolean inhibit) {}

    private static final Map<String, String> RS_UNSUPPORTED = Map.of(
            "smtp_alert", "e-mail is not lvsd's job: use notify.up / notify.down or alert on lvsd_real_server_up",
            "snmp_name", "lvsd has no SNMP",
            "SMTP_CHECK", "lvsd has no SMTP check; a script check can run one (e.g. swaks, or nc and grep for 220)",
            "BFD_CHECK", "lvsd has no BFD",
            "FILE_CHECK", "lvsd has no file check; a script check can test the file (misc_dynamic's exit codes give a weight)",
            "PING_CHECK", "lvsd has no ICMP check; a script check can run ping -c1 -W1");
    private static final Set<String> RS_KNOWN = Set.of("weight", "lvs_method", "inhibit_on_failure", "notify_up",
            "notify_down", "uthreshold", "lthreshold", "virtualhost", "alpha", "connect_timeout", "retry",
            "nb_get_retry", "delay_before_retry", "warmup", "delay_loop", "HTTP_GET", "SSL_GET", "TCP_CHECK",
            "MISC_CHECK", "DNS_CHECK", "UDP_CHECK");

    private RealServer realServer(Stmt r, Obj o, Inherited vs, Forwarding fwd, String protocol) {
        String ctx = "real_server";
        InetAddress a = Values.address(r.arg(0));
        Long port = r.arg(1) == null ? null : Values.integer(r.arg(1), 0, 65535);
        if (a == null || r.arg(1) != null && port == null) {
            todo(o, ctx, r, "expected IP [PORT]");
        } else {
            o.put("address", port == null ? Values.text(a) : Values.endpoint(a, port));
        }
        Block b = new Block(ctx, r.children());
        Stmt s = b.last("weight");
        if (s != null) {
            Long w = integer(o, ctx, s, 0, 0, 65535);
            if (w != null) {
                if (w != 1) {
                    o.put("weight", Hocon.num(w));
                }
                used(ctx, s, "virtual-servers[].real-servers[].weight");
            }
        }
        s = b.last("lvs_method");
        if (s != null) {
            Forwarding f = forwarding(o, ctx, s);
            if (f != null) {
                if (!f.method().equals(fwd.method())) {
                    o.put("forwarding", f.method());
                }
                Obj vt = fwd.tunnel() == null ? ipip() : fwd.tunnel();
                if (f.tunnel() != null && !plain(f.tunnel()).equals(plain(vt))) {
                    // lvsd merges a real server's tunnel over the service's: clear what the service sets.
                    Obj t = f.tunnel();
                    if (vt.get("port") != null && t.get("port") == null) {
                        t.put("port", new Hocon.Scalar("null"));
                    }
                    if (vt.get("checksum") != null && t.get("checksum") == null) {
                        t.put("checksum", "none");
                    }
                    o.put("tunnel", t);
                }
                used(ctx, s, "virtual-servers[].real-servers[].forwarding");
            }
        }
        Obj n = new Obj();
        for (String[] k : new String[][] {{"notify_up", "up"}, {"notify_down", "down"}}) {
            s = b.last(k[0]);
            if (s == null) {
                continue;
            }
            if (s.args().isEmpty()) {
                todo(o, ctx, s, "no script");
                continue;
            }
            n.put(k[1], s.arg(0));
            used(ctx, s, "virtual-servers[].real-servers[].notify." + k[1]);
            if (s.args().size() > 1) {
                todo(o, ctx, s, "lvsd runs every script as scripts.user; a per-script user is not supported"
                        + " (quote the command if the words after it are its arguments)");
            }
        }
        if (!n.isEmpty()) {
            o.put("notify", n);
        }
        for (String[] k : new String[][] {{"uthreshold", "upper-threshold"}, {"lthreshold", "lower-threshold"}}) {
            s = b.last(k[0]);
            if (s != null) {
                Long v = integer(o, ctx, s, 0, 0, 4294967295L);
                if (v != null) {
                    if (v != 0) {
                        o.put(k[1], Hocon.num(v));
                    }
                    used(ctx, s, "virtual-servers[].real-servers[]." + k[1]);
                }
            }
        }
        Inherited rs = inherited(o, b).over(vs);
        List<Stmt> checkers = b.all("HTTP_GET", "SSL_GET", "TCP_CHECK", "MISC_CHECK", "DNS_CHECK", "UDP_CHECK");
        Obj check;
        if (checkers.isEmpty()) {
            check = new Obj();
            Entry e = check.put("type", "none");
            e.trailing = "no checker: keepalived keeps this real server up";
        } else {
            check = check(checkers.get(0), rs, protocol);
            for (Stmt extra : checkers.subList(1, checkers.size())) {
                todo(o, ctx, extra, "lvsd runs one check per real server; keepalived wants every checker up."
                        + " Combine them in a script check, or keep the first (" + checkers.get(0).keyword() + ")");
            }
        }
        rest(o, b, RS_UNSUPPORTED, RS_KNOWN);
        return new RealServer(check, Boolean.TRUE.equals(rs.inhibit()));
    }

    private static final Map<String, String> CHECK_UNSUPPORTED = Map.of(
            "fwmark", "lvsd does not mark probe packets",
            "log_all_failures", "lvsd logs every change of a real server's state and counts every failed probe",
            "fast_recovery", "lvsd checks one URL, so there is nothing to hurry",
            "enable_sni", "handled with virtualhost",
            "user", "lvsd runs every script as scripts.user",
            "min_reply_length", "lvsd checks a reply's content, not its length",
            "max_reply_length", "lvsd checks a reply's content, not its length");
    private static final Set<String> CHECK_KNOWN = Set.of("connect_ip", "connect_port", "bindto", "bind_port",
            "bind_if", "connect_timeout", "retry", "nb_get_retry", "delay_before_retry", "warmup", "delay_loop",
            "alpha", "url", "http_protocol", "virtualhost", "enable_sni", "misc_path", "misc_timeout", "misc_dynamic",
            "type", "name", "payload", "require_reply");

    private Obj check(Stmt c, Inherited rs, String protocol) {
        String ctx = c.keyword();
        Obj o = new Obj();
        Block b = new Block(ctx, c.children());
        Inherited ch = inherited(o, b).over(rs);
        String type = switch (ctx) {
            case "HTTP_GET" -> "http";
            case "SSL_GET" -> "https";
            case "TCP_CHECK" -> "tcp";
            case "MISC_CHECK" -> "script";
            case "DNS_CHECK" -> "dns";
            default -> "udp";
        };
        if (!type.equals("tcp")) {
            o.put("type", type);
        }
        long interval = ch.delayLoop();
        o.put("interval", Hocon.duration(interval)).trailing = ch.delayLoop() == 60 * S ? "delay_loop, keepalived's default 60s"
                : "delay_loop";
        long defaultRetry = switch (ctx) {
            case "DNS_CHECK" -> 3;
            case "MISC_CHECK" -> 0;
            default -> 1;
        };
        long retries = (ch.retry() != null ? ch.retry() : defaultRetry) + 1;
        long retryDelay = ch.delayBeforeRetry() != null ? ch.delayBeforeRetry() : switch (ctx) {
            case "HTTP_GET", "SSL_GET" -> 3 * S;
            case "DNS_CHECK" -> interval;
            default -> S;
        };
        Long timeout = ch.connectTimeout();
        if (ctx.equals("MISC_CHECK")) {
            timeout = null;
            Stmt t = b.last("misc_timeout");
            if (t != null) {
                Long v = integer(o, ctx, t, 0, 1, 3600);
                if (v != null) {
                    timeout = v * S;
                    used(ctx, t, "check.timeout");
                }
            }
            if (timeout == null) {
                timeout = rs.delayLoop() != null ? rs.delayLoop() : interval;
            }
        }
        if (timeout != 3 * S) {
            o.put("timeout", Hocon.duration(Math.max(1000, timeout)));
        }
        if (retries != 1) {
            o.put("retries", Hocon.num(Math.min(100, retries))).trailing = "keepalived's retry + 1: the failures before down";
        }
        if (retryDelay != S) {
            o.put("retry-delay", Hocon.duration(Math.max(1000, retryDelay)));
        }
        long warm = ch.warmup() != null ? ch.warmup() : interval;
        if (warm > 0) {
            Entry e = o.put("warmup", Hocon.bool(true));
            e.trailing = warm == interval ? "keepalived's default: a random delay up to delay_loop before the first probe"
                    : "lvsd delays the first probe by up to the interval; keepalived's warmup was " + warm / 1000 + "ms";
        }
        if (Boolean.TRUE.equals(ch.alpha())) {
            o.put("alpha", Hocon.bool(true));
        }
        connection(o, b);
        switch (ctx) {
            case "HTTP_GET", "SSL_GET" -> http(o, b, ch, c);
            case "MISC_CHECK" -> misc(o, b, c);
            case "DNS_CHECK" -> dns(o, b);
            case "UDP_CHECK" -> udp(o, b, c);
            default -> { }
        }
        rest(o, b, CHECK_UNSUPPORTED, CHECK_KNOWN);
        o.entries.get(0).comments.add(0, c.at() + " " + c.keyword());
        return o;
    }

    private void connection(Obj o, Block b) {
        String ctx = b.context;
        String[][] keys = {{"connect_ip", "connect-address"}, {"bindto", "source-address"}};
        for (String[] k : keys) {
            Stmt s = b.last(k[0]);
            if (s != null) {
                InetAddress a = Values.address(s.arg(0));
                if (a == null) {
                    todo(o, ctx, s, "not an IP address");
                } else {
                    o.put(k[1], Values.text(a));
                    used(ctx, s, "check." + k[1]);
                }
            }
        }
        String[][] ports = {{"connect_port", "connect-port"}, {"bind_port", "source-port"}};
        for (String[] k : ports) {
            Stmt s = b.last(k[0]);
            if (s != null) {
                Long v = integer(o, ctx, s, 0, 1, 65535);
                if (v != null) {
                    o.put(k[1], Hocon.num(v));
                    used(ctx, s, "check." + k[1]);
                }
            }
        }
        Stmt s = b.last("bind_if");
        if (s != null) {
            if (s.arg(0) != null && IFNAME.matcher(s.arg(0)).matches()) {
                o.put("interface", s.arg(0));
                used(ctx, s, "check.interface");
            } else {
                todo(o, ctx, s, "not an interface name");
            }
        }
    }

    private void http(Obj o, Block b, Inherited ch, Stmt c) {
        String ctx = b.context;
        Obj h = new Obj();
        Stmt proto = b.last("http_protocol");
        String version = "1.0";
        if (proto != null) {
            switch (Objects.requireNonNullElse(proto.arg(0), "")) {
                case "1.1" -> version = "1.1";
                case "1.0" -> { }
                case "1.0C", "1.0c" -> warn(h, proto, "lvsd sends HTTP/1.0 without 'Connection: close'; HTTP/1.0"
                        + " closes anyway");
                default -> todo(h, ctx, proto, "expected 1.0, 1.0C or 1.1");
            }
            used(ctx, proto, "check.http.version");
        }
        List<Stmt> urls = b.all("url");
        String host = ch.virtualhost();
        if (!urls.isEmpty()) {
            Stmt u = urls.get(0);
            used(ctx, u, "check.http");
            Block ub = new Block("url", u.children());
            Stmt p = ub.last("path");
            if (p != null && p.arg(0) != null && p.arg(0).startsWith("/")) {
                if (!p.arg(0).equals("/")) {
                    h.put("path", p.arg(0));
                }
                used("url", p, "check.http.path");
            } else if (p != null) {
                todo(h, "url", p, "lvsd needs an absolute path like /health");
            }
            Stmt sc = ub.last("status_code");
            if (sc != null) {
                List<String> codes = new ArrayList<>();
                for (String a : sc.args()) {
                    if (a.matches("[1-5]\\d\\d(-[1-5]\\d\\d)?")) {
                        codes.add(a);
                    } else {
                        codes.clear();
                        todo(h, "url", sc, "'" + a + "' is not a status code or range");
                        break;
                    }
                }
                if (!codes.isEmpty() && !codes.equals(List.of("200-299"))) {
                    h.put("status", Hocon.strings(codes));
                }
                if (!codes.isEmpty()) {
                    used("url", sc, "check.http.status");
                }
            }
            Stmt d = ub.last("digest");
            if (d != null) {
                String hex = Objects.requireNonNullElse(d.arg(0), "").toLowerCase(Locale.ROOT);
                if (Values.isHex(hex, 32)) {
                    h.put("digest", "md5:" + hex);
                    used("url", d, "check.http.digest");
                } else {
                    todo(h, "url", d, "an MD5 digest is 32 hex digits (genhash prints it)");
                }
            }
            Stmt vh = ub.last("virtualhost");
            if (vh != null) {
                host = vh.arg(0);
                used("url", vh, "check.http.host");
            }
            Stmt re = ub.last("regex");
            if (re != null) {
                h.put("body-regex", Objects.requireNonNullElse(re.arg(0), ""));
                used("url", re, "check.http.body-regex");
                warn(h, re, "lvsd uses Java regular expressions, not PCRE2: check the pattern");
            }
            rest(h, ub, Map.of("regex_no_match", "lvsd's body-regex must match; invert the pattern",
                    "regex_options", "write the options inline, e.g. (?i) or (?s)",
                    "regex_stack", "Java regular expressions need no stack size",
                    "regex_min_offset", "lvsd searches the whole body (up to max-bytes)",
                    "regex_max_offset", "lvsd searches the whole body (up to max-bytes)"),
                    Set.of("path", "digest", "status_code", "virtualhost", "regex"));
            for (Stmt extra : urls.subList(1, urls.size())) {
                todo(h, ctx, extra, "lvsd checks one URL per real server; keepalived wants every URL to pass");
            }
        } else {
            todo(h, ctx, c, "no url block: keepalived rejects the checker");
        }
        if (host != null) {
            h.put("host", host);
        }
        Stmt sni = b.last("enable_sni");
        if (sni != null) {
            if (b.context.equals("SSL_GET") && host != null) {
                h.put("sni", host);
                used(ctx, sni, "check.http.sni");
            } else {
                todo(h, ctx, sni, "SNI needs SSL_GET and a virtualhost");
            }
        }
        if (version.equals("1.0")) {
            h.put("version", "1.0").trailing = "keepalived's default HTTP version (lvsd's is 1.1)";
        }
        if (!h.isEmpty()) {
            o.put("http", h);
        }
    }

    private void misc(Obj o, Block b, Stmt c) {
        String ctx = b.context;
        Obj sc = new Obj();
        Stmt p = b.last("misc_path");
        if (p == null || p.args().isEmpty()) {
            todo(o, ctx, p != null ? p : c, "no misc_path");
        } else {
            sc.put("command", joined(p, 0));
            used(ctx, p, "check.script.command");
        }
        Stmt d = b.last("misc_dynamic");
        if (d != null) {
            sc.put("dynamic", Hocon.bool(true)).trailing = "exit 2-255: up with weight = code - 2, as keepalived";
            used(ctx, d, "check.script.dynamic");
        }
        Stmt u = b.last("user");
        if (u != null) {
            if (Objects.equals(u.arg(0), scriptUser) && u.arg(1) == null) {
                used(ctx, u, "scripts.user");
            } else {
                todo(o, ctx, u, "lvsd runs every script as scripts.user; a per-script user is not supported");
            }
        }
        o.put("script", sc);
    }

    private void dns(Obj o, Block b) {
        String ctx = b.context;
        Obj d = new Obj();
        Stmt t = b.last("type");
        if (t != null) {
            String type = Objects.requireNonNullElse(t.arg(0), "").toUpperCase(Locale.ROOT);
            if (Set.of("A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "PTR", "SRV", "ANY").contains(type)) {
                if (!type.equals("SOA")) {
                    d.put("type", type);
                }
                used(ctx, t, "check.dns.type");
            } else {
                todo(o, ctx, t, "unknown query type");
            }
        }
        Stmt n = b.last("name");
        if (n != null && n.arg(0) != null) {
            if (!n.arg(0).equals(".")) {
                d.put("name", n.arg(0));
            }
            used(ctx, n, "check.dns.name");
        }
        if (!d.isEmpty()) {
            o.put("dns", d);
        }
    }

    private void udp(Obj o, Block b, Stmt c) {
        String ctx = b.context;
        Obj u = new Obj();
        Stmt p = b.last("payload");
        if (p != null) {
            String hex = Values.hex(joined(p, 0), false);
            if (hex == null) {
                todo(o, ctx, p, "not hex digits");
            } else {
                u.put("payload-hex", Hocon.quoted(hex));
                used(ctx, p, "check.udp.payload-hex");
            }
        } else {
            Entry e = u.put("payload-hex", Hocon.quoted("00"));
            warn(e, c, "keepalived sends a random payload when none is set; lvsd sends one zero byte");
        }
        Stmt r = b.last("require_reply");
        if (r != null) {
            if (r.args().isEmpty()) {
                u.put("expect-regex", "(?s).*").trailing = "require_reply: any reply";
                used(ctx, r, "check.udp.expect-regex");
            } else {
                String hex = Values.hex(joined(r, 0), true);
                if (hex == null) {
                    todo(o, ctx, r, "not hex digits (x for any nibble)");
                } else {
                    Entry e = u.put("expect-hex", Hocon.quoted(hex));
                    used(ctx, r, "check.udp.expect-hex");
                    warn(e, r, "keepalived compares a shorter reply up to its length; lvsd needs the reply to be at"
                            + " least as long as the pattern");
                }
            }
        }
        o.put("udp", u);
    }

    // ---- output ---------------------------------------------------------------------------------------------

    private String render(List<String> files) {
        Obj top = new Obj();
        if (!director.isEmpty()) {
            top.put("director", director);
        }
        if (!scripts.isEmpty()) {
            top.put("scripts", scripts);
        }
        if (!defaults.isEmpty()) {
            top.put("defaults", defaults).comments.add("keepalived's global_defs defaults for every instance");
        }
        if (!vrrp.isEmpty()) {
            top.put("vrrp", vrrp);
        }
        if (!servers.items.isEmpty()) {
            top.put("virtual-servers", servers);
        }
        if (!sync.isEmpty()) {
            top.put("sync-daemon", sync);
        }
        if (!ipvs.isEmpty()) {
            top.put("ipvs", ipvs);
        }
        if (!unplaced.closingComments.isEmpty()) {
            Entry notes = top.entries.isEmpty() ? null : top.entries.get(0);
            if (notes == null) {
                top.closingComments.addAll(unplaced.closingComments);
            } else {
                notes.comments.addAll(0, unplaced.closingComments);
                notes.comments.add(unplaced.closingComments.size(), "");
            }
        }
        long todos = diags.stream().filter(d -> d.kind() == Diagnostic.Kind.TODO).count();
        StringBuilder b = new StringBuilder();
        b.append("# lvsd configuration imported from keepalived by `lvsd import keepalived`.\n");
        b.append("# Source: ").append(String.join(", ", files)).append('\n');
        b.append("# Every block names the keepalived line it came from. Where keepalived's default differs\n");
        b.append("# from lvsd's, keepalived's value is written, so this file behaves as the original did.\n");
        if (todos > 0) {
            b.append("# ").append(todos).append(todos == 1 ? " item" : " items")
                    .append(" did not convert: search for TODO. Then check with: lvsd check-config -f FILE\n");
        } else {
            b.append("# Everything converted. Check with: lvsd check-config -f FILE\n");
        }
        b.append('\n');
        b.append(Hocon.render(top));
        return b.toString();
    }
}
