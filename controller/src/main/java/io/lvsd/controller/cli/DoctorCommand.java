package io.lvsd.controller.cli;

import io.lvsd.controller.Main;
import io.lvsd.controller.config.ConfigLoader;
import io.lvsd.controller.config.ConfigProblem;
import io.lvsd.controller.config.LoadResult;
import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.RealServerConfig;
import io.lvsd.controller.config.VirtualServerConfig;
import io.lvsd.controller.ipvs.DesiredTable;
import io.lvsd.doctor.DirectorChecks;
import io.lvsd.doctor.DirectorHost;
import io.lvsd.doctor.DirectorSpec;
import io.lvsd.doctor.Encapsulation;
import io.lvsd.doctor.Finding;
import io.lvsd.doctor.Firewall;
import io.lvsd.doctor.KernelTable;
import io.lvsd.doctor.LinuxDirectorHost;
import io.lvsd.doctor.NeighbourProbe;
import io.lvsd.doctor.Observed;
import io.lvsd.doctor.Report;
import io.lvsd.doctor.Verdict;
import io.lvsd.ipvs.IpvsClient;
import io.lvsd.ipvs.IpvsOp;
import io.lvsd.ipvs.IpvsTimeouts;
import io.lvsd.ipvs.NetlinkIpvsClient;
import io.lvsd.ipvs.Reconciler;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.ServiceState;
import io.lvsd.ipvs.SyncDaemon;
import io.lvsd.ipvs.TunnelConfig;
import io.lvsd.ipvs.VirtualService;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.RawIpSocket;
import io.lvsd.linux.netlink.Rtnetlink;
import io.lvsd.sync.SyncMessage;
import io.lvsd.sync.SyncTraffic;
import io.lvsd.sync.SyncWatcher;
import io.lvsd.sync.internal.SyncCodec;
import io.lvsd.vrrp.VrrpInstanceConfig;
import io.lvsd.vrrp.internal.VrrpCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lvsd doctor}: what around a director breaks its traffic, with the evidence and the fix. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Diagnose a director: the kernel (ip_vs and the schedulers the configuration uses, ip_forward",
                "for NAT, expire_nodest_conn and expire_quiescent_template, conn_reuse_mode, rp_filter), the live",
                "IPVS table against the configuration (drift, foreign services, connection timeouts), VRRP on the",
                "wire (another router with the same VRID, how many hosts answer ARP / neighbour solicitation for",
                "each VIP, the firewall on protocol 112) and sync (its interface, MTU, whether the master is heard,",
                "the firewall on its port) and each DR / TUN real server, probed through the VIP as IPVS forwards to",
                "it (a TCP SYN to the VIP sent to its MAC, or inside the real server's tunnel: IPIP, IPv6-in-IPv6,",
                "GUE or GRE; for TUN also a full-size encapsulated echo for the path MTU). Each line: ok, warn, fail",
                "or undetermined, the evidence, and the fix.",
                "It changes nothing; it listens for --seconds, and sends only ARP probes, neighbour solicitations and",
                "those probes (a SYN-ACK is answered with a RST)."},
        footer = {"", "Examples:", "  lvsd doctor -f /etc/lvsd/lvsd.conf", "  lvsd doctor -f lvsd.conf --seconds 10 --json",
                "  lvsd doctor -f lvsd.conf --checks vrrp,sync",
                "", "Exit codes: 0 nothing fails; 1 something fails (or the configuration is invalid); 2 bad usage."})
public final class DoctorCommand implements Callable<Integer> {
    /** The groups of checks, in the order they run. */
    public static final List<String> SECTIONS = List.of("kernel", "table", "vrrp", "sync", "real-servers");

    @Option(names = {"-f", "--config"}, required = true, paramLabel = "FILE", description = "The director's configuration.")
    Path file;

    @Option(names = "--json", description = "Print the report as JSON (docs/doctor-report.schema.json).")
    boolean json;

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "5",
            description = "How long to listen for adverts and sync messages (default: ${DEFAULT-VALUE}; 0: do not listen).")
    int seconds;

    @Option(names = "--checks", split = ",", paramLabel = "GROUP[,GROUP...]",
            description = "Run only these groups: kernel, table, vrrp, sync, real-servers (default: all).")
    List<String> checks;

    @Option(names = "--peer", paramLabel = "URL",
            description = "Another director's admin endpoint (http://ADDRESS:PORT; its admin.listen, with allow-remote "
                    + "when off the loopback), repeatable: its IPVS table is compared with this one's, service by "
                    + "service (mh: destinations in the same order with the same weights, which is what makes the "
                    + "Maglev tables, and so flows moved between directors, agree).")
    List<String> peers;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    DirectorHost host = new LinuxDirectorHost();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (seconds < 0 || seconds > 3600) {
            err.println("lvsd doctor: --seconds " + seconds + " (expected 0-3600)");
            return Main.EXIT_USAGE;
        }
        Set<String> run = new LinkedHashSet<>(checks == null ? SECTIONS : checks);
        for (String c : run) {
            if (!SECTIONS.contains(c)) {
                err.println("lvsd doctor: --checks " + c + " (expected " + String.join(", ", SECTIONS) + ")");
                return Main.EXIT_USAGE;
            }
        }
        LoadResult r = ConfigLoader.load(file);
        if (!r.ok()) {
            for (ConfigProblem e : r.errors()) {
                err.println(e.format());
            }
            err.println("lvsd doctor: " + r.errors().size() + (r.errors().size() == 1 ? " error" : " errors") + " in " + file
                    + "; the doctor checks a director against a valid configuration (lvsd check-config -f " + file + ")");
            return Main.EXIT_FAILURE;
        }
        LvsdConfig config = r.config();
        DirectorSpec ds = spec(config);
        List<Finding> findings = new ArrayList<>();
        Firewall.Ruleset fw = null;
        String fwError = null;
        if (run.contains("vrrp") || run.contains("sync")) {
            try {
                fw = host.firewall();
            } catch (IOException e) {
                fwError = e.getMessage();
            }
        }
        if (run.contains("kernel")) {
            section(findings, "kernel", () -> DirectorChecks.kernel(ds, host));
        }
        String role = null;
        if (run.contains("table") || run.contains("sync")) {
            Table t = table(config, host);
            role = t.role;
            if (run.contains("table")) {
                section(findings, "table", () -> DirectorChecks.table(ds, t.table, Map.of()));
                for (String peer : peers == null ? List.<String>of() : peers) {
                    section(findings, "table vs " + peer, () -> peerTable(peer, t.live, fetchStatus(peer)));
                }
            }
        }
        if (fwError != null) {
            findings.add(new Finding("firewall", Verdict.UNDETERMINED, "the packet filter cannot be read: " + fwError,
                    "run the doctor as root"));
        }
        Wire wire;
        try {
            wire = listen(config, ds, run);
        } catch (Exception e) {
            findings.add(new Finding("vrrp, sync: listening", Verdict.UNDETERMINED, "could not listen: " + message(e), null));
            wire = new Wire(Set.of(), List.of(), List.of(), null);
        }
        Wire w = wire;
        Firewall.Ruleset rules = fw;
        String daemonRole = role;
        if (run.contains("vrrp")) {
            section(findings, "vrrp", () -> DirectorChecks.vrrp(ds, host, w.local, w.adverts, w.answers, rules, seconds));
        }
        if (run.contains("sync")) {
            section(findings, "sync", () -> DirectorChecks.sync(ds, host, rules, daemonRole, w.sync));
        }
        if (run.contains("real-servers")) {
            section(findings, "real-servers", () -> DirectorChecks.realServers(probes(ds, host)));
        }
        Report report = new Report("lvsd doctor", file.toString(), findings);
        out.print(json ? report.json() : report.text());
        out.flush();
        return report.exitCode();
    }

    /** A group of checks that went wrong in itself: one undetermined finding saying so, and the others still run. */
    interface Section {
        List<Finding> run() throws Exception;
    }

    private static void section(List<Finding> findings, String name, Section s) {
        try {
            findings.addAll(s.run());
        } catch (Exception e) {
            findings.add(new Finding(name, Verdict.UNDETERMINED, "these checks could not run: " + message(e), null));
        }
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** The configuration in the doctor's terms. */
    static DirectorSpec spec(LvsdConfig config) {
        List<DirectorSpec.Service> services = new ArrayList<>();
        for (VirtualServerConfig v : config.virtualServers()) {
            Set<String> fwd = new TreeSet<>();
            fwd.add(v.forwarding().name().toLowerCase(Locale.ROOT));
            for (RealServerConfig rs : v.realServers()) {
                fwd.add(rs.forwarding().name().toLowerCase(Locale.ROOT));
            }
            List<DirectorSpec.Backend> backends = new ArrayList<>();
            for (RealServerConfig rs : v.realServers()) {
                String f = rs.forwarding().name().toLowerCase(Locale.ROOT);
                backends.add(new DirectorSpec.Backend(rs.address().getAddress(), rs.address().getPort(), f,
                        f.equals("tun") ? encapsulation(rs.tunnel()) : null));
            }
            services.add(new DirectorSpec.Service(v.name(), v.family(),
                    v.fwmark() != null ? "fwmark" : v.protocol().key(), v.scheduler().key(), fwd,
                    v.persistence().enabled() ? v.persistence().timeout() : null,
                    v.address() == null ? null : v.address().getAddress(), backends, udpPayload(v)));
        }
        List<DirectorSpec.Router> routers = new ArrayList<>();
        for (VrrpInstanceConfig i : config.vrrp().instances().values()) {
            routers.add(new DirectorSpec.Router(i.name(), i.interfaceName(), i.virtualRouterId(), i.version(),
                    i.virtualAddresses().stream().map(a -> a.prefix().address()).toList(), i.unicastPeers()));
        }
        DirectorSpec.Sync sync = null;
        if (config.syncDaemon() != null && config.syncDaemon().enabled()) {
            var s = config.syncDaemon();
            sync = new DirectorSpec.Sync(s.interfaceName(), s.syncId(),
                    s.group() != null ? s.group() : IpAddresses.parse(SyncWatcher.DEFAULT_GROUP), s.port(), s.maxlen());
        }
        return new DirectorSpec(services, routers, sync);
    }

    /**
     * The encapsulation IPVS uses for a TUN real server's tunnel: GUE's UDP checksum is filled in with either the
     * csum or the remcsum option (ip_vs_tunnel_xmit), GRE's with csum.
     */
    static Encapsulation encapsulation(TunnelConfig t) {
        return Encapsulation.of(t.type().key(), t.port(), t.checksum() != TunnelConfig.Checksum.NONE);
    }

    /** @param live the kernel's table as dumped (kernel order), empty when it could not be read */
    private record Table(KernelTable table, String role, List<ServiceState> live) {
        Table(KernelTable table, String role) {
            this(table, role, List.of());
        }
    }

    /** A peer director's {@code /status}, within 5 seconds. */
    static com.fasterxml.jackson.databind.JsonNode fetchStatus(String peer) throws IOException {
        java.net.URI uri;
        try {
            uri = java.net.URI.create(peer.replaceAll("/+$", "") + "/status");
        } catch (IllegalArgumentException e) {
            throw new IOException("--peer " + peer + ": not a URL like http://10.0.0.12:9180");
        }
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5)).build();
        try {
            java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException(uri + " answered HTTP " + r.statusCode());
            }
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(uri + ": interrupted");
        } catch (IOException e) {
            throw new IOException(uri + ": " + message(e) + " (is lvsd running there, with admin.listen reachable "
                    + "from here?)", e);
        }
    }

    /**
     * This director's live table against a peer's ({@code status}: its /status): per service of this director, the
     * same destinations with the same weights, and for mh in the same kernel order (head to tail), or not.
     */
    static List<Finding> peerTable(String peer, List<ServiceState> live, com.fasterxml.jackson.databind.JsonNode status) {
        Map<String, com.fasterxml.jackson.databind.JsonNode> theirs = new HashMap<>();
        for (com.fasterxml.jackson.databind.JsonNode svc : status.path("ipvs").path("services")) {
            theirs.put(svc.path("service").asText(), svc);
        }
        String director = status.path("director").asText(peer);
        List<Finding> out = new ArrayList<>();
        if (!status.path("ipvs").path("available").asBoolean(false)) {
            out.add(new Finding("table vs " + director, Verdict.UNDETERMINED, peer + " cannot read its IPVS table: "
                    + status.path("ipvs").path("error").asText("no ipvs section in its /status"), null));
            return out;
        }
        for (ServiceState s : live) {
            String key = s.service().key().describe();
            String check = "table vs " + director + ": " + key;
            com.fasterxml.jackson.databind.JsonNode p = theirs.get(key);
            if (p == null) {
                out.add(new Finding(check, Verdict.FAIL, director + " has no such service", "configure the same "
                        + "virtual servers on every director"));
                continue;
            }
            List<String> mine = io.lvsd.controller.ipvs.IpvsComponent.destinationOrder(s);
            List<String> other = new ArrayList<>();
            p.path("destination_order").forEach(x -> other.add(x.asText()));
            boolean mh = s.service().scheduler().equals("mh");
            boolean same = mh ? mine.equals(other) : new TreeSet<>(mine).equals(new TreeSet<>(other));
            if (!p.path("scheduler").asText().equals(s.service().scheduler())) {
                out.add(new Finding(check, Verdict.FAIL, "scheduler " + s.service().scheduler() + " here, "
                        + p.path("scheduler").asText() + " on " + director, "configure the same scheduler everywhere"));
            } else if (same) {
                out.add(new Finding(check, Verdict.OK, (mh ? "the same destinations in the same order, head to tail, "
                        + "with the same weights: the same Maglev table" : "the same destinations and weights") + " ("
                        + String.join(", ", mine) + ")", null));
            } else {
                out.add(new Finding(check, Verdict.FAIL, (mh ? "the Maglev tables differ, so a flow the router moves "
                        + "between these directors may reach another real server: here, head to tail, " : "here ")
                        + String.join(", ", mine) + "; on " + director + " " + String.join(", ", other),
                        "give both the same real servers, in the same order, with the same weights (and the same "
                                + "health verdicts); lvsd keeps the kernel's order to the configuration's"));
            }
        }
        return out;
    }

    /** The live table against the configured one, the timeouts, and the sync daemon this director runs. */
    private static Table table(LvsdConfig config, DirectorHost host) {
        DesiredTable desired = DesiredTable.from(config);
        try {
            DirectorHost.ModuleState m = host.module("ip_vs");
            if (m != DirectorHost.ModuleState.LOADED && m != DirectorHost.ModuleState.BUILTIN) {
                // Asking for IPVS's netlink family would make the kernel load the module: the doctor changes nothing.
                return new Table(KernelTable.unavailable("ip_vs is not loaded (the doctor does not load it)"), null);
            }
        } catch (IOException e) {
            return new Table(KernelTable.unavailable(e.getMessage()), null);
        }
        try (IpvsClient c = NetlinkIpvsClient.open()) {
            List<ServiceState> live = c.dump();
            Set<ServiceKey> configured = new HashSet<>();
            desired.services().forEach(d -> configured.add(d.service().key()));
            Reconciler.Plan plan = Reconciler.plan(desired.services(), live, configured);
            Map<ServiceKey, VirtualService> liveByKey = new HashMap<>();
            live.forEach(s -> liveByKey.put(s.service().key(), s.service()));
            List<String> missing = new ArrayList<>();
            List<String> changed = new ArrayList<>();
            List<String> dests = new ArrayList<>();
            Set<String> moved = new HashSet<>();
            Set<String> deleted = new HashSet<>();
            for (IpvsOp op : plan.ops()) {
                if (op instanceof IpvsOp.DeleteDest d) {
                    deleted.add(d.key().describe() + " " + IpAddresses.format(d.address()));
                } else if (op instanceof IpvsOp.AddDest a
                        && deleted.contains(a.key().describe() + " " + IpAddresses.format(a.destination().address()))) {
                    moved.add(a.key().describe() + " " + IpAddresses.format(a.destination().address()));
                }
            }
            Map<ServiceKey, ServiceState> liveStates = new HashMap<>();
            live.forEach(x -> liveStates.put(x.service().key(), x));
            Set<ServiceKey> reordered = new HashSet<>();
            for (IpvsOp op : plan.ops()) {
                String name = desired.names().getOrDefault(op.key(), op.key().describe());
                String dest = op instanceof IpvsOp.AddDest a ? IpAddresses.format(a.destination().address())
                        : op instanceof IpvsOp.DeleteDest d ? IpAddresses.format(d.address()) : null;
                if (dest != null && moved.contains(op.key().describe() + " " + dest)) {
                    if (reordered.add(op.key())) {
                        dests.add(name + ": the destinations are out of mh's order (the kernel's, head to tail: "
                                + String.join(", ", io.lvsd.controller.ipvs.IpvsComponent.destinationOrder(
                                        liveStates.get(op.key()))) + "; lvsd keeps the reverse of the configuration's "
                                + "order, so that every director builds the same Maglev table)");
                    }
                    continue;
                }
                if (op instanceof IpvsOp.AddService a) {
                    missing.add(name + " (" + a.key().describe() + ")");
                } else if (op instanceof IpvsOp.EditService e) {
                    changed.add(name + ": " + difference(e.service(), liveByKey.get(e.key())));
                } else if (op instanceof IpvsOp.AddDest a) {
                    if (!missing.stream().anyMatch(m -> m.startsWith(name + " ("))) {
                        dests.add(name + ": " + IpAddresses.format(a.destination().address()) + " is not in the kernel");
                    }
                } else if (op instanceof IpvsOp.DeleteDest d) {
                    dests.add(name + ": " + IpAddresses.format(d.address()) + " is in the kernel but not configured");
                } else if (op instanceof IpvsOp.EditDest d) {
                    dests.add(name + ": " + IpAddresses.format(d.destination().address()) + " differs (configured "
                            + d.destination().describe() + ")");
                }
            }
            List<String> foreign = plan.foreign().stream().map(ServiceKey::describe).toList();
            IpvsTimeouts t = c.timeouts();
            String role = null;
            for (SyncDaemon d : c.daemons()) {
                if (role == null || d.role() == SyncDaemon.Role.MASTER) {
                    role = d.role().key();
                }
            }
            return new Table(new KernelTable(null, desired.services().size(), missing, changed, dests, foreign,
                    seconds(t.tcp()), seconds(t.tcpFin()), seconds(t.udp())), role, live);
        } catch (IOException | RuntimeException e) {
            return new Table(KernelTable.unavailable(e.getMessage()), null);
        }
    }

    private static long seconds(Duration d) {
        return d == null ? 0 : d.toSeconds();
    }

    static String difference(VirtualService want, VirtualService have) {
        if (have == null) {
            return "not in the kernel";
        }
        List<String> d = new ArrayList<>();
        if (!want.scheduler().equals(have.scheduler())) {
            d.add("scheduler " + have.scheduler() + " (configured " + want.scheduler() + ")");
        }
        if (want.persistent() != have.persistent() || want.timeout() != have.timeout()) {
            d.add("persistence " + (have.persistent() ? have.timeout() + " s" : "off") + " (configured "
                    + (want.persistent() ? want.timeout() + " s" : "off") + ")");
        }
        if ((want.flags() & VirtualService.USER_FLAGS) != (have.flags() & VirtualService.USER_FLAGS)) {
            d.add("flags 0x" + Integer.toHexString(have.flags() & VirtualService.USER_FLAGS) + " (configured 0x"
                    + Integer.toHexString(want.flags() & VirtualService.USER_FLAGS) + ")");
        }
        if (want.netmask() != have.netmask()) {
            d.add("persistence netmask " + Long.toHexString(have.netmask()) + " (configured " + Long.toHexString(want.netmask()) + ")");
        }
        if (!java.util.Objects.equals(want.peName(), have.peName())) {
            d.add("persistence engine " + have.peName() + " (configured " + want.peName() + ")");
        }
        return d.isEmpty() ? "settings differ" : String.join(", ", d);
    }

    /** The datagram a UDP service's health check sends (udp with a payload, or a dns query), else null. */
    static byte[] udpPayload(VirtualServerConfig v) {
        if (v.check() == null || v.check().spec() == null) {
            return null;
        }
        io.lvsd.healthcheck.CheckSpec spec = v.check().spec();
        if (spec instanceof io.lvsd.healthcheck.CheckSpec.Udp u) {
            return u.payload();
        }
        if (spec instanceof io.lvsd.healthcheck.CheckSpec.Dns d) {
            return io.lvsd.healthcheck.DnsChecker.queryBytes(d, java.util.concurrent.ThreadLocalRandom.current().nextInt(1, 65536));
        }
        return null;
    }

    /** Probes every DR and TUN real server of the TCP and UDP services through the VIP, one at a time, 1 s each at most. */
    static List<Observed.Probe> probes(DirectorSpec ds, DirectorHost host) {
        Duration wait = Duration.ofSeconds(1);
        List<Observed.Probe> out = new ArrayList<>();
        Map<InetAddress, Observed.Answers> arp = new HashMap<>(); // one ARP probe per real server, whatever its services
        for (DirectorSpec.Service s : ds.services()) {
            for (DirectorSpec.Backend b : s.realServers()) {
                if (!b.forwarding().equals("dr") && !b.forwarding().equals("tun")) {
                    continue;
                }
                out.add(probe(s, b, host, wait, arp));
            }
        }
        return out;
    }

    private static Observed.Probe probe(DirectorSpec.Service s, DirectorSpec.Backend b, DirectorHost host, Duration wait,
                                        Map<InetAddress, Observed.Answers> arp) {
        InetAddress vip = s.vip();
        String fwd = b.forwarding();
        if (vip == null || !s.protocol().equals("tcp") && !s.protocol().equals("udp")) {
            return failed(s, b, "no probe: " + (vip == null ? "a firewall-mark service has no single VIP to send to"
                    : "only TCP and UDP services are probed; " + s.protocol() + " is not"));
        }
        byte[] payload = s.udpPayload();
        if (s.protocol().equals("udp") && payload == null) {
            return failed(s, b, "no probe: no datagram to send through the VIP: its health check is neither udp with a"
                    + " payload nor dns");
        }
        InetAddress real = b.address();
        boolean v6 = vip instanceof java.net.Inet6Address;
        if (v6 != real instanceof java.net.Inet6Address) {
            return failed(s, b, "no probe: the VIP and the real server are of different address families (IPVS can"
                    + " tunnel one family inside the other; the probe does not)");
        }
        io.lvsd.doctor.VipProbe.Route route;
        try {
            route = io.lvsd.doctor.VipProbe.route(real);
        } catch (IOException | RuntimeException e) {
            return failed(s, b, "no probe: the route to " + IpAddresses.text(real) + ": " + message(e));
        }
        InetAddress src = route.source();
        if (src == null || src instanceof java.net.Inet6Address != v6) {
            return failed(s, b, "no probe: the route to " + IpAddresses.text(real) + " has no " + (v6 ? "IPv6" : "IPv4")
                    + " source address");
        }
        if (fwd.equals("dr")) {
            if (route.gateway() != null) {
                return failed(s, b, "DR reaches a real server at layer 2, but the route to " + IpAddresses.text(real)
                        + " goes via " + IpAddresses.text(route.gateway()) + " (dev " + route.dev() + ")");
            }
            String ask = v6 ? "neighbour solicitation" : "ARP";
            Observed.Answers a = arp.computeIfAbsent(real, r -> NeighbourProbe.probe(route.dev(), r, src, false, wait));
            Set<String> macs = new TreeSet<>(a.macs());
            macs.remove(a.ownMac());
            if (a.error() != null || macs.isEmpty()) {
                return failed(s, b, IpAddresses.text(real) + " does not answer " + ask + " for its own address on "
                        + route.dev() + (a.error() == null ? "" : " (" + a.error() + ")")
                        + ": it is down or not on this network");
            }
            String mac = macs.iterator().next();
            return new Observed.Probe(s.name(), vip, real, b.port(), fwd, "to its MAC " + mac + " on " + route.dev(),
                    io.lvsd.doctor.VipProbe.dr(route.dev(), mac, src, real, vip, b.port(), payload, wait), null, null, 0,
                    null, direct(real, b.port(), payload, wait));
        }
        // TUN, as IPVS sends it: the destination's tunnel type, in an outer header of the real server's family.
        Encapsulation enc = b.encapsulation();
        int mtu = 1500;
        try {
            DirectorHost.Link l = host.link(route.dev());
            mtu = l == null ? mtu : l.mtu();
        } catch (IOException e) {
            // keep 1500
        }
        // The small echo: the headers and 36 bytes of data (84 bytes in IPIP over IPv4).
        int small = enc.overhead(v6) + (v6 ? 40 : 20) + 8 + 36;
        io.lvsd.doctor.VipProbe.Result syn = io.lvsd.doctor.VipProbe.tun(route.dev(), src, real, vip, b.port(), payload,
                enc, wait);
        io.lvsd.doctor.VipProbe.Result smallEcho = io.lvsd.doctor.VipProbe.tunEcho(route.dev(), src, real, vip, small, enc,
                wait);
        io.lvsd.doctor.VipProbe.Result large = io.lvsd.doctor.VipProbe.tunEcho(route.dev(), src, real, vip, mtu, enc, wait);
        return new Observed.Probe(s.name(), vip, real, b.port(), fwd, "inside " + enc.describe(v6) + " to "
                + IpAddresses.text(real) + " via " + route.dev(), syn, smallEcho, large, mtu, null,
                direct(real, b.port(), payload, wait), enc);
    }

    /** UDP: the datagram sent to the real server itself, what the probe through the VIP is held against; TCP: null. */
    private static io.lvsd.doctor.VipProbe.Result direct(InetAddress real, int port, byte[] payload, Duration wait) {
        return payload == null ? null : io.lvsd.doctor.VipProbe.direct(real, port, payload, wait);
    }

    private static Observed.Probe failed(DirectorSpec.Service s, DirectorSpec.Backend b, String why) {
        return new Observed.Probe(s.name(), s.vip(), b.address(), b.port(), b.forwarding(), null, null, null, null, 0, why);
    }

    private record Wire(Set<InetAddress> local, List<Observed.Advert> adverts, List<Observed.Answers> answers,
                        Observed.SyncHeard sync) {
    }

    /** Listens for adverts and sync, and probes who answers for each VIP, all at once, for {@link #seconds}. */
    private Wire listen(LvsdConfig config, DirectorSpec ds, Set<String> run) throws Exception {
        Map<InetAddress, String> localOn = new HashMap<>(); // this host's addresses, and where each is
        try (Rtnetlink rt = Rtnetlink.open()) {
            Map<Integer, String> names = new HashMap<>();
            rt.links().forEach(l -> names.put(l.index(), l.name()));
            for (IpFamily f : IpFamily.values()) {
                for (Rtnetlink.Address a : rt.addresses(f)) {
                    localOn.put(a.prefix().address(), names.get(a.ifindex()));
                }
            }
        }
        List<Observed.Advert> adverts = Collections.synchronizedList(new ArrayList<>());
        List<Observed.Answers> answers = Collections.synchronizedList(new ArrayList<>());
        Observed.SyncHeard[] sync = new Observed.SyncHeard[1];
        if (seconds == 0) {
            return new Wire(localOn.keySet(), adverts, answers, null);
        }
        Duration listen = Duration.ofSeconds(seconds);
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "doctor");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> jobs = new ArrayList<>();
        try {
            if (run.contains("vrrp")) {
                record Listener(String ifname, IpFamily family) {
                }
                Set<Listener> listeners = new LinkedHashSet<>();
                ds.routers().forEach(r -> listeners.add(new Listener(r.ifname(), r.family())));
                for (Listener l : listeners) {
                    jobs.add(pool.submit(() -> adverts(l.ifname(), l.family(), listen, adverts)));
                }
                for (VrrpInstanceConfig i : config.vrrp().instances().values()) {
                    for (VrrpInstanceConfig.VirtualAddress va : i.virtualAddresses()) {
                        String on = va.interfaceName() != null ? va.interfaceName() : i.interfaceName();
                        InetAddress vip = va.prefix().address();
                        boolean held = on.equals(localOn.get(vip));
                        jobs.add(pool.submit(() -> answers.add(NeighbourProbe.probe(on, vip, held,
                                Duration.ofMillis(Math.min(2000, listen.toMillis()))))));
                    }
                }
            }
            if (run.contains("sync") && ds.sync() != null) {
                jobs.add(pool.submit(() -> {
                    sync[0] = syncHeard(ds.sync(), listen);
                    return null;
                }));
            }
            long deadline = System.nanoTime() + listen.plusSeconds(30).toNanos();
            for (Future<?> j : jobs) {
                j.get(Math.max(1, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return new Wire(localOn.keySet(), adverts, answers, sync[0]);
    }

    private static Void adverts(String ifname, IpFamily family, Duration listen, List<Observed.Advert> out) {
        int ifindex = io.lvsd.doctor.VipProbe.ifindex(ifname);
        if (ifindex == 0) {
            return null; // no such interface: the interface check reports it
        }
        try (RawIpSocket s = RawIpSocket.open(family, VrrpCodec.PROTOCOL, ifname, ifindex, 0, 200)) {
            s.joinGroup(IpAddresses.parse(family == IpFamily.IPV4 ? DirectorChecks.VRRP_GROUP_V4 : DirectorChecks.VRRP_GROUP_V6));
            long end = System.nanoTime() + listen.toNanos();
            while (System.nanoTime() < end) {
                RawIpSocket.Packet p = s.receive();
                if (p == null) {
                    continue;
                }
                for (boolean pseudo : new boolean[] {true, false}) {
                    VrrpCodec.Result res = VrrpCodec.decode(p.payload(), p.source(), p.destination(), p.ttl(), pseudo);
                    if (res instanceof VrrpCodec.Decoded d) {
                        out.add(new Observed.Advert(p.source(), d.packet().vrid(), d.packet().version(),
                                d.packet().priority(), d.packet().addresses()));
                        break;
                    }
                }
            }
        } catch (IOException e) {
            // Not root, or no such interface: the answers and interface checks say as much.
        }
        return null;
    }

    private static Observed.SyncHeard syncHeard(DirectorSpec.Sync s, Duration listen) {
        Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
        Map<String, Object[]> senders = new ConcurrentHashMap<>();
        AtomicLong bad = new AtomicLong();
        SyncWatcher.Listener l = new SyncWatcher.Listener() {
            @Override
            public void message(InetAddress from, SyncMessage m) {
                String k = IpAddresses.text(from) + " " + m.syncId();
                senders.putIfAbsent(k, new Object[] {from, m.syncId()});
                counts.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
            }

            @Override
            public void malformed(InetAddress from, SyncCodec.Error error, String detail) {
                bad.incrementAndGet();
            }
        };
        try (SyncWatcher w = SyncWatcher.open(s.ifname(), s.group(), s.port(),
                new SyncTraffic(new SimpleMeterRegistry(), System::nanoTime), l)) {
            Thread.sleep(listen.toMillis());
        } catch (IOException e) {
            return new Observed.SyncHeard(listen.toSeconds(), List.of(), 0, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Observed.Sender> list = new ArrayList<>();
        senders.forEach((k, v) -> list.add(new Observed.Sender((InetAddress) v[0], (Integer) v[1], counts.get(k).get())));
        return new Observed.SyncHeard(listen.toSeconds(), list, bad.get(), null);
    }
}
