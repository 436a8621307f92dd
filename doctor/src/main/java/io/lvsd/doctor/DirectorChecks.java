package io.lvsd.doctor;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The checks {@code lvsd doctor} runs on a director. Each takes what was read or heard and gives findings: a
 * verdict, the evidence, and the fix. None of them changes anything.
 */
public final class DirectorChecks {
    private DirectorChecks() {
    }

    /** IPv4's VRRP group (RFC 5798 §5.1.1.2) and IPv6's (§5.1.2.2). */
    public static final String VRRP_GROUP_V4 = "224.0.0.18";
    public static final String VRRP_GROUP_V6 = "ff02::12";
    /** The IP overhead of a sync datagram: IPv4 and UDP headers. */
    static final int SYNC_IP_UDP_HEADERS = 28;

    // ---- kernel ----

    /** ip_vs and the schedulers, forwarding, the IPVS sysctls the services rely on, rp_filter. */
    public static List<Finding> kernel(DirectorSpec spec, DirectorHost host) throws IOException {
        List<Finding> out = new ArrayList<>();
        String release = host.kernelRelease();
        DirectorHost.ModuleState ipvs = host.module("ip_vs");
        out.add(module("kernel: ip_vs", "ip_vs", ipvs, release, "IPVS itself"));
        Map<String, List<String>> schedulers = new LinkedHashMap<>();
        for (DirectorSpec.Service s : spec.services()) {
            schedulers.computeIfAbsent(s.scheduler(), k -> new ArrayList<>()).add(s.name());
        }
        for (Map.Entry<String, List<String>> e : schedulers.entrySet()) {
            out.add(module("kernel: scheduler " + e.getKey(), "ip_vs_" + e.getKey(), host.module("ip_vs_" + e.getKey()),
                    release, "used by " + list(e.getValue())));
        }

        for (IpFamily f : IpFamily.values()) {
            List<String> nat = spec.services().stream().filter(s -> s.family() == f && s.forwardings().contains("nat"))
                    .map(DirectorSpec.Service::name).toList();
            if (nat.isEmpty()) {
                continue;
            }
            String key = f == IpFamily.IPV4 ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding";
            String v = host.sysctl(key);
            if ("1".equals(v)) {
                out.add(ok("kernel: " + key, key + " = 1, as NAT needs (" + list(nat) + ")"));
            } else {
                out.add(new Finding("kernel: " + key, Verdict.FAIL, key + " = " + v + " but " + list(nat)
                        + " use NAT: the real servers' replies come back through this director and are dropped"
                        + " instead of forwarded, so clients time out",
                        "sysctl -w " + key + "=1, and the same line in /etc/sysctl.d/ to keep it"));
            }
        }

        List<String> udp = spec.services().stream().filter(DirectorSpec.Service::carriesUdp)
                .map(DirectorSpec.Service::name).toList();
        if (!udp.isEmpty()) {
            out.add(ipvsSysctl(host, "net.ipv4.vs.expire_nodest_conn", ipvs, list(udp) + " carry UDP",
                    "a UDP client that keeps its source port stays bound to a removed real server as long as it keeps"
                            + " sending: each datagram is dropped and keeps the entry alive, so it is never rescheduled",
                    Verdict.FAIL));
        }
        List<String> udpPersistent = spec.services().stream().filter(s -> s.carriesUdp() && s.persistence() != null)
                .map(DirectorSpec.Service::name).toList();
        List<String> tcpPersistent = spec.services().stream().filter(s -> !s.carriesUdp() && s.persistence() != null)
                .map(DirectorSpec.Service::name).toList();
        if (!udpPersistent.isEmpty() || !tcpPersistent.isEmpty()) {
            boolean isUdp = !udpPersistent.isEmpty();
            out.add(ipvsSysctl(host, "net.ipv4.vs.expire_quiescent_template", ipvs,
                    list(isUdp ? udpPersistent : tcpPersistent) + " use persistence",
                    "a persistent client stays on a quiesced (weight 0) real server until its persistence"
                            + " template expires, although the server is being drained or failed its check",
                    isUdp ? Verdict.FAIL : Verdict.WARN));
        }
        if (!spec.services().isEmpty()) {
            out.add(connReuse(host, ipvs, release));
        }
        Set<String> vipLinks = new LinkedHashSet<>();
        spec.routers().forEach(r -> vipLinks.add(r.ifname()));
        for (String l : vipLinks) {
            out.add(rpFilter(host, l));
        }
        return out;
    }

    private static Finding module(String check, String name, DirectorHost.ModuleState state, String release, String what) {
        switch (state) {
            case LOADED:
            case BUILTIN:
                return ok(check, name + " is " + state.name().toLowerCase(java.util.Locale.ROOT).replace("builtin", "built in")
                        + " (" + what + ")");
            case LOADABLE:
                return name.equals("ip_vs")
                        ? new Finding(check, Verdict.WARN, "ip_vs is not loaded, but the kernel has it (" + what + ")",
                                "modprobe ip_vs; lvsd's package loads it at boot (/usr/lib/modules-load.d/lvsd.conf)")
                        : ok(check, name + " is not loaded, and loadable: the kernel loads it when a service asks for it ("
                                + what + ")");
            case NO_MODULE_TREE:
                return new Finding(check, Verdict.FAIL, name + " is not loaded, and there is no module tree for kernel "
                        + release + " (/lib/modules/" + release + ") to load it from (" + what + ")",
                        "install the modules of the running kernel (linux-image-" + release + "), or boot the kernel"
                                + " whose modules are installed");
            default:
                return new Finding(check, Verdict.FAIL, name + " is not loaded, and kernel " + release + " does not have it"
                        + " (not in /lib/modules/" + release + "/modules.dep) (" + what + ")",
                        name.equals("ip_vs") ? "use a kernel built with CONFIG_IP_VS"
                                : "choose a scheduler this kernel has (the ip_vs_* modules in /lib/modules/" + release
                                        + "), or use a kernel that has " + name);
        }
    }

    private static Finding ipvsSysctl(DirectorHost host, String key, DirectorHost.ModuleState ipvs, String why,
                                      String harm, Verdict bad) throws IOException {
        String check = "kernel: " + key.substring(key.lastIndexOf('.') + 1);
        String v = host.sysctl(key);
        if (v == null) {
            return new Finding(check, Verdict.UNDETERMINED, key + " cannot be read"
                    + (ipvs == DirectorHost.ModuleState.LOADED || ipvs == DirectorHost.ModuleState.BUILTIN ? ""
                    : ": ip_vs is not loaded") + "; " + why, "modprobe ip_vs, then run the doctor again");
        }
        if (!v.equals("0")) {
            return ok(check, key + " = " + v + " (" + why + ")");
        }
        return new Finding(check, bad, key + " = 0 and " + why + ": " + harm,
                "sysctl -w " + key + "=1 (lvsd sets it when it starts and on every apply: is lvsd running, or did"
                        + " something reset it?)");
    }

    /** Linux 5.9 stopped dropping the SYN of a reused port when conntrack is on (a 1 s stall for the client). */
    private static Finding connReuse(DirectorHost host, DirectorHost.ModuleState ipvs, String release) throws IOException {
        String check = "kernel: conn_reuse_mode";
        String v = host.sysctl("net.ipv4.vs.conn_reuse_mode");
        if (v == null) {
            return new Finding(check, Verdict.UNDETERMINED, "net.ipv4.vs.conn_reuse_mode cannot be read"
                    + (ipvs == DirectorHost.ModuleState.LOADED ? "" : ": ip_vs is not loaded"), null);
        }
        int mode;
        try {
            mode = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return new Finding(check, Verdict.UNDETERMINED, "net.ipv4.vs.conn_reuse_mode = " + v + ": not a number", null);
        }
        if (mode == 0) {
            return new Finding(check, Verdict.WARN, "net.ipv4.vs.conn_reuse_mode = 0: a new connection from a reused"
                    + " client port is delivered to the real server of the previous one, never rescheduled; this"
                    + " effectively disables expire_nodest_conn (ipvs-sysctl)", "sysctl -w net.ipv4.vs.conn_reuse_mode=1");
        }
        int[] ver = version(release);
        String conntrack = host.sysctl("net.ipv4.vs.conntrack");
        if (ver != null && (ver[0] < 5 || ver[0] == 5 && ver[1] < 9) && mode != 0 && "1".equals(conntrack)) {
            return new Finding(check, Verdict.WARN, "net.ipv4.vs.conn_reuse_mode = " + mode + " with"
                    + " net.ipv4.vs.conntrack = 1 on kernel " + release + ": before Linux 5.9 IPVS drops the SYN of a"
                    + " connection that reuses a port in TIME_WAIT, and the client waits about a second to retry",
                    "run Linux 5.9 or later; or set net.ipv4.vs.conn_reuse_mode=0, which gives up rescheduling on"
                            + " port reuse");
        }
        return ok(check, "net.ipv4.vs.conn_reuse_mode = " + mode + " on kernel " + release);
    }

    private static Finding rpFilter(DirectorHost host, String link) throws IOException {
        String check = "kernel: rp_filter " + link;
        String all = host.sysctl("net.ipv4.conf.all.rp_filter");
        String own = host.sysctl("net.ipv4.conf." + link + ".rp_filter");
        if (all == null || own == null) {
            return new Finding(check, Verdict.UNDETERMINED, "net.ipv4.conf." + (all == null ? "all" : link)
                    + ".rp_filter cannot be read", null);
        }
        int inForce = Math.max(parse(all), parse(own));
        String seen = "in force " + inForce + " (the larger of all = " + all + " and " + link + " = " + own + ")";
        if (inForce == 1) {
            return new Finding(check, Verdict.WARN, seen + ": strict reverse-path filtering drops a client's packets"
                    + " for the VIP when the route back to the client leaves by another interface (asymmetric routing)",
                    "sysctl -w net.ipv4.conf.all.rp_filter=2 and net.ipv4.conf." + link + ".rp_filter=2 (loose): both,"
                            + " since the larger value is in force");
        }
        return ok(check, seen);
    }

    // ---- the IPVS table ----

    /** The live table against the configuration's, foreign services, and the connection timeouts. */
    public static List<Finding> table(DirectorSpec spec, KernelTable t, Map<String, Duration> persistence) {
        List<Finding> out = new ArrayList<>();
        if (t.unavailable() != null) {
            out.add(new Finding("table: drift", Verdict.UNDETERMINED, "the IPVS table cannot be read: " + t.unavailable(),
                    "modprobe ip_vs, and run the doctor as root (it needs CAP_NET_ADMIN)"));
            return out;
        }
        if (!t.missing().isEmpty()) {
            out.add(new Finding("table: drift", Verdict.FAIL, t.missing().size() + " of " + t.services()
                    + " configured service(s) missing from the kernel: " + String.join(", ", t.missing())
                    + "; clients of these addresses are not balanced",
                    "start lvsd (systemctl start lvsd); if it runs, its log says why the kernel refused the service"));
        }
        if (!t.changed().isEmpty()) {
            out.add(new Finding("table: drift", Verdict.FAIL, "service settings differ from the configuration: "
                    + String.join("; ", t.changed()),
                    "lvsd puts them back on its drift check (ipvs.drift-check-interval); if they stay different, another"
                            + " tool (ipvsadm, a script, keepalived) writes the table"));
        }
        if (!t.destinations().isEmpty()) {
            out.add(new Finding("table: real servers", Verdict.WARN, "real servers differ from the configured ones: "
                    + String.join("; ", t.destinations()),
                    "health checks remove or quiesce failed real servers, and drains hold them at weight 0: lvsd status"
                            + " shows why each one is as it is"));
        }
        if (t.missing().isEmpty() && t.changed().isEmpty()) {
            out.add(ok("table: drift", "the kernel has the " + t.services() + " configured service(s) with their settings"));
        }
        if (!t.foreign().isEmpty()) {
            out.add(new Finding("table: foreign", Verdict.WARN, t.foreign().size() + " service(s) in the kernel that the"
                    + " configuration does not name: " + String.join(", ", t.foreign()) + "; lvsd leaves them alone",
                    "delete them (ipvsadm -D -t|-u|-f ...) or add them to the configuration"));
        }
        String timeouts = "tcp " + t.tcp() + " s, tcpfin " + t.tcpFin() + " s, udp " + t.udp() + " s";
        List<String> cut = new ArrayList<>();
        for (DirectorSpec.Service s : spec.services()) {
            Duration p = persistence.getOrDefault(s.name(), s.persistence());
            if (p == null) {
                continue;
            }
            long conn = s.protocol().equals("udp") ? t.udp() : t.tcp();
            if (conn > 0 && p.toSeconds() > conn) {
                cut.add(s.name() + " keeps clients for " + p.toSeconds() + " s, but an idle " + (s.protocol().equals("udp")
                        ? "UDP flow" : "TCP connection") + " leaves the table after " + conn + " s");
            }
        }
        if (!cut.isEmpty()) {
            out.add(new Finding("table: timeouts", Verdict.WARN, timeouts + ": " + String.join("; ", cut)
                    + "; a packet after such a pause finds no entry, and IPVS does not schedule a packet in mid-connection,"
                    + " so the connection breaks",
                    "raise ipvs.timeouts.tcp / ipvs.timeouts.udp above the persistence timeout, or keep clients'"
                            + " keepalives below the connection timeout"));
        } else {
            out.add(ok("table: timeouts", timeouts + ": idle TCP connections leave the table after " + t.tcp()
                    + " s; clients that idle longer need keepalives below it (or ipvs.timeouts.tcp raised)"));
        }
        return out;
    }

    // ---- VRRP on the wire ----

    /** Per router: its link, other routers with its VRID, who answers for its addresses, the firewall. */
    public static List<Finding> vrrp(DirectorSpec spec, DirectorHost host, Set<InetAddress> local,
                                     List<Observed.Advert> adverts, List<Observed.Answers> answers,
                                     Firewall.Ruleset firewall, long seconds) throws IOException {
        List<Finding> out = new ArrayList<>();
        for (DirectorSpec.Router r : spec.routers()) {
            String p = "vrrp " + r.name() + ": ";
            DirectorHost.Link l = host.link(r.ifname());
            if (l == null || !l.up()) {
                out.add(new Finding(p + "interface", Verdict.FAIL, r.ifname() + (l == null ? " does not exist" : " is down"),
                        l == null ? "fix vrrp.instances." + r.name() + ".interface" : "ip link set " + r.ifname() + " up"));
            }
            out.add(duplicateVrid(p, r, local, adverts, seconds));
            for (Observed.Answers a : answers) {
                if (r.vips().contains(a.vip())) {
                    out.add(answers(p, a));
                }
            }
            InetAddress group = r.unicastPeers().isEmpty()
                    ? IpAddresses.parse(r.family() == IpFamily.IPV4 ? VRRP_GROUP_V4 : VRRP_GROUP_V6) : null;
            String label = "VRRP (protocol 112" + (group == null ? ", unicast" : " to " + IpAddresses.text(group)) + ")";
            boolean v6 = r.family() == IpFamily.IPV6;
            out.add(firewall(p + "firewall in", firewall, new Firewall.Traffic(label + " arriving on " + r.ifname(),
                    "vrrp", group, 0, r.ifname(), true, v6)));
            out.add(firewall(p + "firewall out", firewall, new Firewall.Traffic(label + " leaving by " + r.ifname(),
                    "vrrp", group, 0, r.ifname(), false, v6)));
        }
        return out;
    }

    static Finding duplicateVrid(String p, DirectorSpec.Router r, Set<InetAddress> local, List<Observed.Advert> adverts,
                                 long seconds) {
        Set<InetAddress> ours = new HashSet<>(r.vips());
        List<String> clash = new ArrayList<>();
        Set<String> peers = new TreeSet<>();
        for (Observed.Advert a : adverts) {
            if (a.vrid() != r.vrid() || local.contains(a.source())
                    || IpAddresses.family(a.source()) != r.family()) {
                continue;
            }
            Set<InetAddress> theirs = new HashSet<>(a.addresses());
            if (a.version() != r.version() || !theirs.equals(ours)) {
                clash.add(IpAddresses.text(a.source()) + " sends VRID " + a.vrid() + " v" + a.version() + " for "
                        + text(a.addresses()));
            } else {
                peers.add(IpAddresses.text(a.source()) + " (priority " + a.priority() + ")");
            }
        }
        if (!clash.isEmpty()) {
            return new Finding(p + "duplicate VRID", Verdict.FAIL, String.join("; ", new LinkedHashSet<>(clash))
                    + ", but this director has VRID " + r.vrid() + " v" + r.version() + " for " + text(r.vips())
                    + " on " + r.ifname() + ": two virtual routers share the id, each drops the other's adverts and"
                    + " both claim the virtual MAC 00:00:5e:00:0" + (r.family() == IpFamily.IPV4 ? "1" : "2") + ":"
                    + String.format("%02x", r.vrid()),
                    "give one of them another virtual-router-id (unique per network segment): vrrp.instances."
                            + r.name() + ".virtual-router-id here, or the other router's");
        }
        return ok(p + "duplicate VRID", peers.isEmpty()
                ? "no other router sent VRID " + r.vrid() + " on " + r.ifname() + " in " + seconds + " s"
                : "VRID " + r.vrid() + " on " + r.ifname() + " is sent only by its peers, with the same addresses: "
                        + String.join(", ", peers));
    }

    static Finding answers(String p, Observed.Answers a) {
        String check = p + "who answers " + IpAddresses.text(a.vip());
        String ask = IpAddresses.family(a.vip()) == IpFamily.IPV4 ? "ARP" : "neighbour solicitation";
        if (a.error() != null) {
            return new Finding(check, Verdict.UNDETERMINED, "no " + ask + " probe was sent on " + a.ifname() + ": " + a.error(),
                    "run the doctor as root (it needs CAP_NET_RAW)");
        }
        Set<String> macs = new TreeSet<>(a.macs());
        macs.remove(a.ownMac());
        List<String> who = new ArrayList<>(macs);
        if (a.heldHere()) {
            who.add(0, a.ownMac() + " (this director)");
        }
        if (who.size() > 1) {
            return new Finding(check, Verdict.FAIL, who.size() + " hosts answer " + ask + " for "
                    + IpAddresses.text(a.vip()) + " on " + a.ifname() + ": " + String.join(", ", who)
                    + "; clients send to whichever answer they keep, and traffic bypasses the director that holds it",
                    "find the other host by its MAC (ip neigh, the switch's table): a DR or TUN real server with the VIP"
                            + " and arp_ignore=0 (run lvsd real-server setup --vip " + IpAddresses.text(a.vip())
                            + " --forwarding dr on it), or a second director holding the VIP (split brain: its"
                            + " doctor shows why it does not hear this one's adverts)");
        }
        if (who.isEmpty()) {
            return new Finding(check, Verdict.WARN, "no host answers " + ask + " for " + IpAddresses.text(a.vip())
                    + " on " + a.ifname() + ": no director holds it now, so its clients fail",
                    "lvsd status on each director: is one master? Is one in FAULT?");
        }
        return ok(check, "one host answers " + ask + " for " + IpAddresses.text(a.vip()) + ": " + who.get(0));
    }

    static Finding firewall(String check, Firewall.Ruleset rules, Firewall.Traffic t) {
        if (rules == null) {
            return new Finding(check, Verdict.UNDETERMINED, t.label() + ": neither nft nor iptables-save is"
                    + " installed, so the packet filter cannot be read", "install nftables, or check the filter by hand");
        }
        Firewall.Judgement j = Firewall.judge(rules, t);
        return new Finding(check, j.verdict(), j.evidence(), j.fix());
    }

    // ---- sync ----

    /**
     * The sync daemon's interface and MTU, whether the master is heard, and the firewall.
     *
     * @param role this director's daemon as the kernel runs it: {@code master}, {@code backup}, or {@code null}
     */
    public static List<Finding> sync(DirectorSpec spec, DirectorHost host, Firewall.Ruleset firewall, String role,
                                     Observed.SyncHeard heard) throws IOException {
        List<Finding> out = new ArrayList<>();
        DirectorSpec.Sync s = spec.sync();
        if (s == null) {
            return out;
        }
        DirectorHost.Link l = host.link(s.ifname());
        if (l == null) {
            out.add(new Finding("sync: interface", Verdict.FAIL, s.ifname() + " does not exist",
                    "fix sync-daemon.interface"));
            return out;
        }
        if (!l.up() || !l.lowerUp()) {
            out.add(new Finding("sync: interface", Verdict.FAIL, s.ifname() + (l.up() ? " has no carrier" : " is down"),
                    l.up() ? "check the cable or the peer link of " + s.ifname() : "ip link set " + s.ifname() + " up"));
        } else {
            out.add(ok("sync: interface", s.ifname() + " is up, MTU " + l.mtu()));
        }
        int room = l.mtu() - SYNC_IP_UDP_HEADERS;
        if (s.maxlen() > room) {
            out.add(new Finding("sync: mtu", Verdict.WARN, "sync-daemon.maxlen = " + s.maxlen() + " but " + s.ifname()
                    + " carries " + room + " bytes of UDP payload (MTU " + l.mtu() + "): every full sync message leaves"
                    + " as IP fragments, and is lost whole when one fragment is", "sync-daemon.maxlen = " + room
                    + " or less, or 0 to let the kernel size messages to the MTU"));
        } else {
            out.add(ok("sync: mtu", s.maxlen() == 0 ? "the kernel sizes sync messages to " + s.ifname() + "'s MTU ("
                    + l.mtu() + ")" : "sync-daemon.maxlen = " + s.maxlen() + " fits MTU " + l.mtu()));
        }
        out.add(heard(s, role, heard));
        String label = "sync (UDP " + s.port() + " to " + IpAddresses.text(s.group()) + ")";
        boolean v6 = IpAddresses.family(s.group()) == IpFamily.IPV6;
        out.add(firewall("sync: firewall in", firewall, new Firewall.Traffic(label + " arriving on " + s.ifname(), "udp",
                s.group(), s.port(), s.ifname(), true, v6)));
        out.add(firewall("sync: firewall out", firewall, new Firewall.Traffic(label + " leaving by " + s.ifname(), "udp",
                s.group(), s.port(), s.ifname(), false, v6)));
        return out;
    }

    static Finding heard(DirectorSpec.Sync s, String role, Observed.SyncHeard h) {
        String check = "sync: master heard";
        if (h == null) {
            return new Finding(check, Verdict.UNDETERMINED, "not listened (--seconds 0)", null);
        }
        if (h.error() != null) {
            return new Finding(check, Verdict.UNDETERMINED, "cannot listen on " + IpAddresses.text(s.group()) + ":"
                    + s.port() + " on " + s.ifname() + ": " + h.error(), null);
        }
        List<String> ours = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (Observed.Sender x : h.senders()) {
            String t = IpAddresses.text(x.source()) + " syncid " + x.syncId() + " (" + x.messages() + " message(s))";
            // A backup daemon with sync id 0 takes every id; one with id N only N.
            (s.syncId() == 0 || x.syncId() == s.syncId() ? ours : others).add(t);
        }
        if (!ours.isEmpty()) {
            return ok(check, "heard in " + h.seconds() + " s: " + String.join(", ", ours));
        }
        if (!others.isEmpty()) {
            return new Finding(check, Verdict.FAIL, "heard only other sync ids in " + h.seconds() + " s: "
                    + String.join(", ", others) + "; this director's backup daemon takes sync id " + s.syncId()
                    + " only, and drops the rest", "the same sync-daemon.sync-id on both directors");
        }
        if ("master".equals(role)) {
            return ok(check, "this director runs the master daemon, and the kernel does not loop its own messages"
                    + " back; run the doctor on the backup to see them arrive");
        }
        return new Finding(check, Verdict.WARN, "no sync message on " + IpAddresses.text(s.group()) + ":" + s.port()
                + " on " + s.ifname() + " in " + h.seconds() + " s" + (h.undecodable() > 0 ? " (" + h.undecodable()
                + " undecodable datagram(s))" : "") + ": the master sends only while its connections carry packets;"
                + " if they do, sync is filtered on the way or the master's daemon is not running",
                "on the master: lvsd status (sync daemons), and its doctor's sync firewall checks");
    }

    // ---- real servers, through the VIP ----

    /** What each probe through the VIP found, as findings. */
    public static List<Finding> realServers(List<Observed.Probe> probes) {
        List<Finding> out = new ArrayList<>();
        // Real servers not probed, one line per service and reason.
        Map<String, List<String>> notProbed = new LinkedHashMap<>();
        for (Observed.Probe p : probes) {
            if (p.error() != null && p.error().startsWith("no probe: ")) {
                notProbed.computeIfAbsent(p.service() + "\n" + p.error().substring("no probe: ".length()),
                        k -> new ArrayList<>()).add(IpAddresses.text(p.real()));
            }
        }
        notProbed.forEach((k, reals) -> out.add(new Finding("real servers " + k.substring(0, k.indexOf('\n'))
                + ": through the VIP", Verdict.UNDETERMINED, "not probed (" + String.join(", ", reals) + "): "
                + k.substring(k.indexOf('\n') + 1), null)));
        for (Observed.Probe p : probes) {
            if (p.error() != null && p.error().startsWith("no probe: ")) {
                continue;
            }
            String target = IpAddresses.text(p.real());
            String check = "real server " + p.service() + " " + target + ": through the VIP";
            String setup = "on " + target + ": lvsd real-server setup --vip " + IpAddresses.text(p.vip())
                    + " --forwarding " + p.forwarding() + (p.forwarding().equals("tun") ? tunOptions(p.encapsulation()) : "")
                    + " (lvsd real-server check there says which part is missing)";
            if (p.error() != null) {
                out.add(new Finding(check, Verdict.FAIL, p.error(),
                        "put the real server on a network this director is on (DR), or fix the address"));
                continue;
            }
            VipProbe.Result r = p.syn();
            boolean udp = p.direct() != null;
            String sent = (udp ? "the check's datagram" : "a SYN") + " for port " + p.port() + " of the VIP, " + p.how() + ": ";
            if (udp && r.outcome() == VipProbe.Outcome.SILENT && p.direct().outcome() != VipProbe.Outcome.OK) {
                out.add(new Finding(check, Verdict.UNDETERMINED, sent + r.detail() + "; sent to " + target
                        + " itself it got " + p.direct().detail() + " too, so silence proves nothing (a service that"
                        + " ignores this payload)", "give the service's check a payload it answers (check.udp.payload or"
                        + " a dns check)"));
                continue;
            }
            switch (r.outcome()) {
                case OK:
                    out.add(ok(check, sent + r.detail() + ": it takes forwarded traffic"));
                    break;
                case REFUSED:
                    out.add(new Finding(check, Verdict.FAIL, sent + r.detail() + ": the VIP is there, but nothing"
                            + " listens on its port " + p.port(), "on " + target + ": make the service listen on the VIP"
                            + " (or on all addresses), port " + p.port()));
                    break;
                case FROM_OWN_ADDRESS:
                    out.add(new Finding(check, Verdict.FAIL, sent + r.detail() + ": it answers from its own address"
                            + " instead of the VIP, and clients drop such replies", "on " + target + ": " + (udp
                            ? "bind the service to the VIP (a UDP server bound to all addresses answers from the address"
                            + " its route picks, unless it uses IP_PKTINFO), and take the VIP out of any SNAT rule"
                            : "bind the service to the VIP or to all addresses, and take the VIP out of any SNAT /"
                            + " masquerade rule")));
                    break;
                case ERROR:
                    out.add(new Finding(check, Verdict.UNDETERMINED, "the probe could not be sent: " + r.detail(),
                            "run the doctor as root (it needs CAP_NET_RAW)"));
                    break;
                default:
                    out.add(new Finding(check, Verdict.FAIL, sent + r.detail() + ": "
                            + (p.forwarding().equals("dr") ? "VIP not configured on the real server: it drops every"
                            + " packet IPVS forwards, though a check sent to its own address passes"
                            + (udp ? " (here: " + p.direct().detail() + ")" : "")
                            : "nothing answers through the tunnel: " + tunnelNeeds(p.encapsulation(),
                            p.real() instanceof Inet6Address, r)), tunnelFix(p.encapsulation(), setup)));
            }
            if (p.large() != null && r.outcome() == VipProbe.Outcome.OK) {
                out.add(mtu(p, target)); // only where the tunnel works at all
            }
        }
        return out;
    }

    /** {@code real-server setup}'s options for a tunnel type other than IPIP (the default). */
    static String tunOptions(Encapsulation enc) {
        if (enc instanceof Encapsulation.Gue g) {
            return " --tun-type gue --tun-port " + g.port();
        }
        return enc instanceof Encapsulation.Gre ? " --tun-type gre" : "";
    }

    /**
     * What a real server needs to take what IPVS sends it in {@code enc}: the decapsulating device up with the VIP
     * (the fallback devices: tunl0 (ipip), ip6tnl0 (ip6_tunnel), gre0 (ip_gre), ip6gre0 (ip6_gre), which the kernel
     * creates in every namespace when the module loads), for GUE a receive port ({@code ip fou add}) which hands the
     * inner packet on to tunl0 or ip6tnl0 by its protocol, and for IPv4 reverse-path filtering that lets the
     * decapsulated packets in. {@code r}: what the probe got; an ICMP port unreachable about the tunnel packet itself
     * says which part is missing (ipip, ip6_tunnel, ip_gre and ip6_gre answer so when no device up takes it; UDP when
     * no GUE port is open).
     */
    static String tunnelNeeds(Encapsulation enc, boolean v6, VipProbe.Result r) {
        boolean portUnreachable = r.outcome() == VipProbe.Outcome.UNREACHABLE
                && (v6 ? r.icmpType() == 1 && r.icmpCode() == 4 : r.icmpType() == 3 && r.icmpCode() == 3);
        String ipip = v6 ? "ip6tnl0 up with the VIP (the ip6_tunnel module)"
                : "tunl0 up with the VIP (the ipip module), or drops decapsulated packets by rp_filter";
        if (enc instanceof Encapsulation.Gue g) {
            String port = "a GUE receive port " + g.port() + " (the fou module and ip fou add port " + g.port() + " gue"
                    + (v6 ? " -6" : "") + ")";
            if (portUnreachable) {
                return "nothing listens on UDP port " + g.port() + " there: the real server lacks " + port;
            }
            return "the real server lacks " + port + ", or " + ipip;
        }
        if (enc instanceof Encapsulation.Gre g) {
            String dev = v6 ? "ip6gre0 up with the VIP (the ip6_gre module)"
                    : "gre0 up with the VIP (the ip_gre module), or drops decapsulated packets by rp_filter";
            return (portUnreachable ? "no GRE device up takes it: " : "") + "the real server lacks " + dev
                    + (g.checksum() ? "; and " + (v6 ? "ip6gre0" : "gre0") + " drops GRE packets that carry a checksum,"
                    + " as this tunnel's checksum option makes IPVS send them (ip_tunnel_rcv counts them as CRC errors)"
                    : "");
        }
        return (portUnreachable ? "no tunnel device up takes it: " : "") + "the real server lacks " + ipip;
    }

    /** The fix for a silent tunnel: the setup, and for GRE with checksums what setup does not do. */
    private static String tunnelFix(Encapsulation enc, String setup) {
        if (enc instanceof Encapsulation.Gre g && g.checksum()) {
            return "set tunnel.checksum = none for this real server in the director's configuration, then " + setup
                    + "; or keep checksums and give the real server a GRE device that expects them, with the VIP"
                    + " (ip link add lvs-gre type gre icsum dev ITS-INTERFACE)";
        }
        return setup;
    }

    /** {@code IPIP adds 20 bytes}, {@code GUE (port 5555) adds 32 bytes (IP 20, UDP 8, GUE 4)}. */
    static String overheadText(Encapsulation enc, boolean v6) {
        int ip = v6 ? VipProbe.IPV6_HEADER : VipProbe.IPV4_HEADER;
        String parts = enc instanceof Encapsulation.Gue ? " (IP " + ip + ", UDP 8, GUE 4)"
                : enc instanceof Encapsulation.Gre ? " (IP " + ip + ", GRE " + enc.headerBytes() + ")" : "";
        return enc.describe(v6) + " adds " + enc.overhead(v6) + " bytes" + parts;
    }

    private static Finding mtu(Observed.Probe p, String target) {
        String check = "real server " + p.service() + " " + target + ": tunnel MTU";
        Encapsulation enc = p.encapsulation();
        boolean v6 = p.real() instanceof Inet6Address;
        // What a full-size TCP segment carries besides its data: the tunnel, the inner IP header and the TCP header.
        int headers = enc.overhead(v6) + (v6 ? VipProbe.IPV6_HEADER : VipProbe.IPV4_HEADER) + 20;
        if (p.small().outcome() != VipProbe.Outcome.OK) {
            return new Finding(check, Verdict.UNDETERMINED, "a small encapsulated ICMP echo to the VIP got "
                    + p.small().detail() + ", so the full-size one proves nothing", null);
        }
        VipProbe.Result l = p.large();
        // IPv6 has no DF bit: its routers never fragment.
        String what = "a " + p.largeSize() + "-byte encapsulated echo" + (v6 ? " " : " (DF) ");
        if (l.outcome() == VipProbe.Outcome.OK) {
            return ok(check, what + "came back (" + l.detail() + "), as did a small one: full-size packets pass");
        }
        if (l.outcome() == VipProbe.Outcome.UNREACHABLE && l.mtu() > 0) {
            return new Finding(check, Verdict.WARN, what + "got " + l.detail() + ": IPVS learns that MTU and tells"
                    + " clients to send less (ICMP), and clients whose firewalls drop that ICMP stall on full-size packets",
                    "raise the path MTU to " + target + " to " + p.largeSize() + " or more (" + overheadText(enc, v6)
                            + "), or clamp the TCP MSS of the VIP's traffic to " + (l.mtu() - headers) + " on the director");
        }
        return new Finding(check, Verdict.FAIL, what + "got " + l.detail() + " while a small one came back: the path to "
                + target + " does not carry full-size encapsulated packets and says nothing, so small requests pass and"
                + " large ones stall", "raise the path MTU to " + target + " to " + p.largeSize() + " or more ("
                // The path's MTU is unknown, only below this size: the clamp keeps 20 bytes more in hand.
                + overheadText(enc, v6) + "), or clamp the TCP MSS of the VIP's traffic on the director to "
                + (p.largeSize() - headers - 20) + " or less");
    }

    // ---- helpers ----

    static Finding ok(String check, String evidence) {
        return new Finding(check, Verdict.OK, evidence, null);
    }

    private static String list(List<String> names) {
        return names.size() <= 3 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 3)) + " and " + (names.size() - 3) + " more";
    }

    private static String text(List<InetAddress> a) {
        return a.stream().map(IpAddresses::text).collect(Collectors.joining(", ", "[", "]"));
    }

    private static int parse(String v) {
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** {@code 5.4.0-150-generic} as {5, 4}; {@code null} when it does not start with two numbers. */
    static int[] version(String release) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
        return m.find() ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))} : null;
    }
}
