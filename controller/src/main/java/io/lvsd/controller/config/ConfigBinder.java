package io.lvsd.controller.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.lvsd.arp.AnnounceConfig;
import io.lvsd.controller.config.VirtualServerConfig.OnFailure;
import io.lvsd.controller.config.VirtualServerConfig.Persistence;
import io.lvsd.controller.config.VirtualServerConfig.Quorum;
import io.lvsd.healthcheck.CheckConfig;
import io.lvsd.healthcheck.ProbeNamespace;
import io.lvsd.healthcheck.CheckSpec;
import io.lvsd.healthcheck.CheckType;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.IpvsTimeouts;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.Scheduler;
import io.lvsd.ipvs.SchedulerFlag;
import io.lvsd.ipvs.TunnelConfig;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.proc.Command;
import io.lvsd.sync.SyncDaemonConfig;
import io.lvsd.vrrp.NotifyCommands;
import io.lvsd.vrrp.SyncGroupConfig;
import io.lvsd.vrrp.TrackScriptConfig;
import io.lvsd.vrrp.VrrpConfig;
import io.lvsd.vrrp.VrrpInstanceConfig;
import io.lvsd.vrrp.VrrpInstanceConfig.TrackedFile;
import io.lvsd.vrrp.VrrpInstanceConfig.TrackedInterface;
import io.lvsd.vrrp.VrrpInstanceConfig.TrackedScript;
import io.lvsd.vrrp.VrrpInstanceConfig.VirtualAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Binds a merged configuration (the operator's file over every module's reference.conf) to
 * {@link LvsdConfig}, checking every key, every value and the rules that span several keys.
 * Problems are collected rather than thrown, so one run reports them all.
 */
final class ConfigBinder {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    /** A DNS name: labels of letters, digits, '-' and '_' (service names), an optional final dot. */
    private static final Pattern DNS_NAME = Pattern.compile("([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.?)+");
    private static final Pattern IFNAME = Pattern.compile("[^\\s/:]{1,15}");
    private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}\\$?");
    private static final String NAME_EXPECTED = "a name of letters, digits, '.', '_' or '-', at most 64";
    private static final List<String> TEMPLATES = List.of("vrrp-instance", "track-script", "virtual-server",
            "real-server", "check", "check-tcp", "check-http", "check-udp", "check-dns", "check-script", "check-agent");

    /** A check's block per type ({@code http} for https too), each a template {@code check-BLOCK}. */
    private static final List<String> CHECK_BLOCKS = List.of("tcp", "http", "udp", "dns", "script", "agent");

    /** What an operator configures; the kernel's local and bypass methods are not choices. */
    private static final List<Forwarding> CONFIG_FORWARDING = List.of(Forwarding.NAT, Forwarding.DR, Forwarding.TUN);

    private final Problems problems = new Problems();
    /** {@code through-vip.addresses}, bound before the virtual servers whose checks use it; null when bad. */
    private List<ProbeNamespace.Link> throughVip;
    private final Config merged;
    private final Config reference;
    private final Map<String, ConfigObject> templates = new HashMap<>();

    /**
     * Whether a user exists on this host ({@code getpwnam} through the JDK's lookup service): scripts run as
     * {@code scripts.user}, so a configuration with scripts and a missing user is an error here, at check-config time,
     * not at the first script's run. Tests replace it.
     */
    static java.util.function.Predicate<String> users = ConfigBinder::userExists;

    static boolean userExists(String user) {
        try {
            java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(user);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    ConfigBinder(Config merged, Config reference) {
        this.merged = merged;
        this.reference = reference;
    }

    Problems problems() {
        return problems;
    }

    LvsdConfig bind(Path source) {
        Node root = new Node(merged.root(), "", problems);
        bindTemplates(root);
        DirectorConfig director = director(root.object("director"));
        AdminConfig admin = admin(root.object("admin"));
        Node scriptsNode = root.object("scripts");
        ScriptsConfig scripts = scripts(scriptsNode);
        Map<String, AnnounceConfig> announce = new LinkedHashMap<>();
        VrrpConfig vrrp = vrrp(root.object("vrrp"), scripts, announce);
        throughVip = throughVip(root.object("through-vip"));
        List<VirtualServerConfig> virtualServers = virtualServers(root);
        String usedBy = scripts == null ? null : firstScript(vrrp, virtualServers);
        if (usedBy != null && !users.test(scripts.user())) {
            String message = "\"" + scripts.user() + "\" does not exist, and " + usedBy + " runs as it (expected an "
                    + "existing user: useradd --system --no-create-home " + scripts.user()
                    + ", which the Debian package does for lvsd-script; or set scripts.user)";
            ConfigValue u = scriptsNode.value("user");
            if (u != null && !Node.isDefault(u)) {
                scriptsNode.error("user", message);
            } else { // the default user: the file that configured the scripts is where to fix it
                problems.error(com.typesafe.config.ConfigOriginFactory.newFile(source.toString()), "scripts.user",
                        message);
            }
        }
        SyncDaemonConfig sync = syncDaemon(root.object("sync-daemon"), vrrp);
        IpvsConfig ipvs = ipvs(root.object("ipvs"));
        Node routingNode = root.object("routing");
        RoutingConfig routing = routing(routingNode);
        if (routing != null && routing.enabled()) {
            routingWarnings(routingNode, virtualServers, vrrp);
        }
        root.finish();
        if (problems.hasErrors()) {
            return null;
        }
        return new LvsdConfig(source, director, admin, scripts, vrrp, announce, virtualServers, sync, ipvs,
                throughVip, routing);
    }

    /** {@code through-vip}: the networks lvsd's probe namespace is on, for checks with {@code through-vip = true}. */
    private List<ProbeNamespace.Link> throughVip(Node n) {
        if (n == null) {
            return null;
        }
        List<ConfigValue> list = n.list("addresses");
        n.finish();
        if (list == null) {
            return null;
        }
        String expected = "{ address = \"192.0.2.250/24\", interface = eth0 } (a spare address of a real servers'"
                + " network, the director's interface on it, and a gateway beyond it or null)";
        List<ProbeNamespace.Link> out = new ArrayList<>();
        Map<InetAddress, Integer> seen = new HashMap<>();
        boolean ok = true;
        for (int i = 0; i < list.size(); i++) {
            ConfigValue v = list.get(i);
            String path = n.path("addresses") + "[" + i + "]";
            if (!(v instanceof ConfigObject o)) {
                problems.error(v.origin(), path, Node.render(v) + " (expected " + expected + ")");
                ok = false;
                continue;
            }
            Node e = new Node(o, path, problems);
            String text = e.string("address", true, "an address with its prefix length like \"192.0.2.250/24\"");
            String parent = ifname(e, "interface", true);
            InetAddress gateway = e.isNull("gateway") ? null : ip(e, "gateway", true);
            IpPrefix prefix = null;
            if (text != null) {
                try {
                    prefix = IpPrefix.parse(text);
                    if (!text.contains("/")) {
                        e.bad("address", "an address with its prefix length like \"192.0.2.250/24\": the namespace"
                                + " reaches the network's real servers on-link");
                        prefix = null;
                    }
                } catch (IllegalArgumentException ex) {
                    e.bad("address", "an address with its prefix length like \"192.0.2.250/24\"");
                }
            }
            if (prefix != null && gateway != null && IpAddresses.family(gateway) != prefix.family()) {
                e.bad("gateway", "an " + prefix.family() + " address like the address");
                gateway = null;
                prefix = null;
            }
            if (prefix != null) {
                Integer prev = seen.putIfAbsent(prefix.address(), i);
                if (prev != null) {
                    e.error("address", "\"" + text + "\" duplicates addresses[" + prev + "]");
                    prefix = null;
                }
            }
            e.finish();
            if (prefix == null || parent == null || (gateway == null && !e.isNull("gateway"))) {
                ok = false;
                continue;
            }
            out.add(new ProbeNamespace.Link(prefix, parent, gateway));
        }
        return ok ? out : null;
    }

    /**
     * {@code check.through-vip = true} for real server {@code addr}: it must be DR or TUN, of a service with a VIP and of
     * the VIP's family, and {@code through-vip.addresses} must have an address of that family. False when not.
     */
    private boolean throughVipFits(Node n, InetSocketAddress vip, InetSocketAddress addr, Forwarding f, Protocol protocol) {
        String why = null;
        if (vip == null) {
            why = "a firewall-mark service (expected a service with an address: the probe goes to its VIP)";
        } else if (f != Forwarding.DR && f != Forwarding.TUN) {
            why = "forwarding = " + f.key() + " (expected dr or tun: a NAT real server is reached at its own address)";
        } else if (protocol == Protocol.SCTP) {
            why = "protocol = sctp (expected tcp or udp)";
        } else if (IpAddresses.family(vip.getAddress()) != IpAddresses.family(addr.getAddress())) {
            why = "a real server of another family than the VIP (expected one family)";
        } else if (throughVip != null && throughVip.stream().noneMatch(l -> l.address().family()
                == IpAddresses.family(addr.getAddress()))) {
            why = "no " + IpAddresses.family(addr.getAddress()) + " address in through-vip.addresses (expected a spare"
                    + " address of the real servers' network there, like through-vip.addresses = [{ address ="
                    + " \"192.0.2.250/24\", interface = eth0 }])";
        }
        if (why != null) {
            n.error("check", "through-vip = true for " + IpAddresses.format(addr) + " with " + why);
            return false;
        }
        return true;
    }

    /** What first runs a script in this configuration (for the message), or null when nothing does. */
    private static String firstScript(VrrpConfig vrrp, List<VirtualServerConfig> virtualServers) {
        if (vrrp != null) {
            if (!vrrp.trackScripts().isEmpty()) {
                return "vrrp.track-scripts." + vrrp.trackScripts().keySet().iterator().next();
            }
            for (var i : vrrp.instances().values()) {
                var n = i.notifyCommands();
                if (n.master() != null || n.backup() != null || n.fault() != null || n.stop() != null || n.any() != null) {
                    return "the notify of vrrp.instances." + i.name();
                }
            }
        }
        if (virtualServers != null) {
            for (VirtualServerConfig v : virtualServers) {
                for (RealServerConfig r : v.realServers()) {
                    CheckConfig c = r.check() != null ? r.check() : v.check();
                    if (c != null && c.spec() instanceof CheckSpec.Script) {
                        return "the script check of virtual server " + v.name();
                    }
                    if (r.notifyUp() != null || r.notifyDown() != null) {
                        return "a notify of virtual server " + v.name();
                    }
                }
            }
        }
        return null;
    }

    // ---- defaults: templates merged under instances, servers and checks

    private void bindTemplates(Node root) {
        Node defaults = root.object("defaults");
        if (defaults == null) {
            return;
        }
        for (String name : TEMPLATES) {
            ConfigValue v = defaults.value(name);
            if (!(v instanceof ConfigObject obj)) {
                defaults.bad(name, "an object { ... }");
                continue;
            }
            // Keys the operator adds to a template that no reference.conf knows are reported
            // once here, and dropped, rather than once for every instance that inherits them.
            Set<String> known = reference.getObject("defaults." + name).keySet();
            for (String k : obj.keySet()) {
                if (!known.contains(k) && !Node.isDefault(obj.get(k))) {
                    String near = Node.closest(k, known);
                    problems.error(obj.get(k).origin(), defaults.path(name) + "." + Node.quoted(k),
                            "unknown key" + (near == null ? "" : " (did you mean " + near + "?)"));
                    obj = obj.withoutKey(k);
                }
            }
            templates.put(name, obj);
        }
        defaults.finish();
    }

    private ConfigObject template(String name) {
        return templates.get(name);
    }

    // ---- director, admin, scripts

    private DirectorConfig director(Node n) {
        if (n == null) {
            return null;
        }
        String name = n.string("name", false, NAME_EXPECTED);
        if (name != null && !NAME.matcher(name).matches()) {
            n.bad("name", NAME_EXPECTED);
            name = null;
        }
        String state = n.string("state-directory", false, "an absolute path, or null");
        if (state != null && !state.startsWith("/")) {
            n.bad("state-directory", "an absolute path, or null");
            state = null;
        }
        n.finish();
        return new DirectorConfig(name != null ? name : hostName(), state == null ? null : Path.of(state));
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (Exception e) {
            return "lvsd";
        }
    }

    private AdminConfig admin(Node n) {
        if (n == null) {
            return null;
        }
        InetSocketAddress listen = endpoint(n, "listen", -1, true);
        Boolean allowRemote = n.bool("allow-remote");
        if (listen != null && listen.getPort() == 0) {
            n.bad("listen", "a port 1-65535");
            listen = null;
        }
        if (listen != null && Boolean.FALSE.equals(allowRemote) && !listen.getAddress().isLoopbackAddress()) {
            n.error("listen", Node.render(n.value("listen"))
                    + " (expected a loopback address; set admin.allow-remote = true to serve the admin endpoint on the network)");
            listen = null;
        }
        String socket = n.string("control-socket", false, "an absolute path, or null");
        if (socket != null && !socket.startsWith("/")) {
            n.bad("control-socket", "an absolute path, or null");
            socket = null;
        }
        String group = n.string("control-socket-group", false, "a group name, or null");
        if (group != null && !lookupGroup(group)) {
            n.error("control-socket-group", Node.render(n.value("control-socket-group"))
                    + " (expected an existing group: groupadd --system " + group + ")");
        }
        String token = n.string("token-file", false, "an absolute path, or null");
        if (token != null && (!token.startsWith("/") || !tokenFileOk(n, Path.of(token)))) {
            if (!token.startsWith("/")) {
                n.bad("token-file", "an absolute path, or null");
            }
            token = null;
        }
        Integer maxConnections = n.intIn("max-connections", 1, 4096, true);
        Duration requestTimeout = n.positiveDuration("request-timeout", true);
        n.finish();
        return listen == null || allowRemote == null || maxConnections == null || requestTimeout == null ? null
                : new AdminConfig(listen, allowRemote, socket == null ? null : Path.of(socket), group,
                        token == null ? null : Path.of(token), maxConnections, requestTimeout);
    }

    private static boolean lookupGroup(String group) {
        try {
            java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The bearer token's file: it must exist, hold a token of at least 16 characters, and be readable by its owner
     * alone (like ssh's keys), since whoever reads it may drain every real server. The token itself is never shown.
     */
    private static boolean tokenFileOk(Node n, Path file) {
        String fix = " (chmod 600 " + file + ")";
        try {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            for (java.nio.file.attribute.PosixFilePermission p : mode) {
                if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
                    n.error("token-file", file + ": readable by others (expected mode 0600 or 0400)" + fix);
                    return false;
                }
            }
            if (AdminToken.read(file) == null) {
                n.error("token-file", file + ": no token (expected one line of at least " + AdminToken.MIN_LENGTH
                        + " characters: head -c 32 /dev/urandom | base64 > " + file + ")");
                return false;
            }
            return true;
        } catch (IOException e) {
            n.error("token-file", file + ": cannot read it (" + e.getClass().getSimpleName() + ")");
            return false;
        }
    }

    private ScriptsConfig scripts(Node n) {
        if (n == null) {
            return null;
        }
        String user = n.string("user", true, "a user name");
        if (user != null && !USER.matcher(user).matches()) {
            n.bad("user", "a user name");
            user = null;
        }
        Duration timeout = n.positiveDuration("timeout", true);
        Integer max = n.intIn("max-concurrent", 1, 1024, true);
        n.finish();
        return user == null || timeout == null || max == null ? null : new ScriptsConfig(user, timeout, max);
    }

    // ---- vrrp

    /** Adverts more often than this want the VRRP threads at a real-time priority (check-config warns). */
    static final long SUB_SECOND_WARN_MS = 100;

    private VrrpConfig vrrp(Node n, ScriptsConfig scripts, Map<String, AnnounceConfig> announce) {
        if (n == null) {
            return null;
        }
        Map<String, TrackScriptConfig> trackScripts = new LinkedHashMap<>();
        Node ts = n.object("track-scripts");
        if (ts != null) {
            for (String name : ts.keys()) {
                Node s = ts.objectOver(name, template("track-script"));
                if (s != null && checkName(ts, name)) {
                    TrackScriptConfig t = trackScript(name, s, scripts);
                    if (t != null) {
                        trackScripts.put(name, t);
                    }
                }
            }
            ts.finish();
        }
        Integer realtime = n.intIn("realtime-priority", 0, 99, false);
        Map<String, VrrpInstanceConfig> instances = new LinkedHashMap<>();
        Node in = n.object("instances");
        if (in != null) {
            for (String name : in.keys()) {
                Node i = in.objectOver(name, template("vrrp-instance"));
                if (i != null && checkName(in, name)) {
                    VrrpInstanceConfig c = instance(name, i, ts == null ? List.of() : ts.keys(), announce);
                    if (c != null) {
                        instances.put(name, c);
                        if (c.advertInterval().toMillis() < SUB_SECOND_WARN_MS && (realtime == null || realtime == 0)) {
                            i.warning("advert-interval", c.advertInterval().toMillis() + "ms without "
                                    + "vrrp.realtime-priority: the backup takes over when the master's adverts are "
                                    + "late by two intervals and a little more, and on a busy host threads of the "
                                    + "ordinary policy and the JVM's pauses are that late (set vrrp.realtime-priority "
                                    + "= 10 and allow it, see docs/configuration.md, \"Sub-second adverts\")");
                        }
                    }
                }
            }
            uniqueVrids(in, instances);
            in.finish();
        }
        Map<String, SyncGroupConfig> groups = new LinkedHashMap<>();
        Node sg = n.object("sync-groups");
        if (sg != null) {
            Map<String, String> groupOf = new HashMap<>();
            for (String name : sg.keys()) {
                if (checkName(sg, name)) {
                    SyncGroupConfig g = syncGroup(sg, name, in == null ? List.of() : in.keys(), groupOf);
                    if (g != null) {
                        groups.put(name, g);
                    }
                }
            }
            sg.finish();
        }
        n.finish();
        return new VrrpConfig(instances, groups, trackScripts, realtime == null ? 0 : realtime);
    }

    private boolean checkName(Node parent, String name) {
        if (!NAME.matcher(name).matches()) {
            parent.error(name, "bad name \"" + name + "\" (expected " + NAME_EXPECTED + ")");
            return false;
        }
        return true;
    }

    private TrackScriptConfig trackScript(String name, Node s, ScriptsConfig scripts) {
        Command command = command(s, "command", true);
        Duration interval = s.positiveDuration("interval", true);
        Duration timeout = s.positiveDuration("timeout", false);
        Integer weight = s.intIn("weight", -254, 254, true);
        Integer rise = s.intIn("rise", 1, 1000, true);
        Integer fall = s.intIn("fall", 1, 1000, true);
        s.finish();
        if (timeout == null && !s.isNull("timeout")) {
            return null;
        }
        Duration t = timeout != null ? timeout : scripts == null ? null : scripts.timeout();
        if (command == null || interval == null || t == null || weight == null || rise == null || fall == null) {
            return null;
        }
        return s.build(() -> new TrackScriptConfig(name, command, interval, t, weight, rise, fall));
    }

    private VrrpInstanceConfig instance(String name, Node n, java.util.Collection<String> trackScriptNames,
                                        Map<String, AnnounceConfig> announce) {
        String iface = ifname(n, "interface", true);
        Integer vrid = n.intIn("virtual-router-id", 1, 255, true);
        Integer priority = n.intIn("priority", 1, 255, true);
        Integer version = n.intIn("version", 2, 3, true);
        Duration advert = n.positiveDuration("advert-interval", true);
        if (version != null && advert != null) {
            long ms = advert.toMillis();
            if (version == 2 && (advert.toNanos() % 1_000_000_000L != 0 || ms < 1000 || ms > 255_000)) {
                // RFC 3768 §5.3.7: Adver Int is an 8-bit count of seconds.
                n.bad("advert-interval", "whole seconds 1s-255s for version 2");
                advert = null;
            } else if (version == 3 && (advert.toNanos() % 10_000_000L != 0 || ms < 10 || ms > 40_950)) {
                // RFC 5798 §5.2.7: Max Adver Int is a 12-bit count of centiseconds.
                n.bad("advert-interval", "10ms-40.95s in steps of 10ms for version 3");
                advert = null;
            }
        }
        Boolean preempt = n.bool("preempt");
        Duration preemptDelay = n.nonNegativeDuration("preempt-delay");
        InetAddress unicastSource = ip(n, "unicast-source", false);
        List<InetAddress> peers = ipList(n, "unicast-peers");
        Boolean peersCheck = n.bool("unicast-peers-check");
        Integer minTtl = n.intIn("unicast-min-ttl", 0, 255, true);
        if (unicastSource != null && peers != null && peers.isEmpty()) {
            n.error("unicast-source", "set without unicast-peers (expected unicast-peers for unicast mode)");
        }
        Node auth = n.object("authentication");
        String password = null;
        if (auth != null) {
            password = auth.string("password", false, "a password of 1-8 characters");
            if (password != null && (password.length() > 8 || !password.chars().allMatch(c -> c >= 0x20 && c < 0x7f))) {
                // RFC 2338 §5.3.10: the authentication data field is 8 octets. A secret: never shown.
                auth.error("password", password.length() + " characters, not shown (expected 1-8 printable ASCII "
                        + "characters)");
                password = null;
            }
            if (password != null && version != null && version != 2) {
                auth.error("password", "set with version = " + version
                        + " (expected only with version = 2: VRRPv3 has no authentication, RFC 5798 §9)");
                password = null;
            }
            auth.finish();
        }
        List<VirtualAddress> vips = virtualAddresses(n);
        IpFamily family = vips == null || vips.isEmpty() ? null : vips.get(0).prefix().family();
        if (family != null) {
            if (version != null && version == 2 && family == IpFamily.IPV6) {
                n.error("virtual-addresses", "IPv6 addresses with version = 2 (expected version = 3: VRRPv2 is IPv4 only)");
            }
            if (unicastSource != null && IpAddresses.family(unicastSource) != family) {
                n.bad("unicast-source", "an " + family + " address like the virtual addresses");
            }
            if (peers != null) {
                List<ConfigValue> raw = n.list("unicast-peers");
                for (int i = 0; i < peers.size(); i++) {
                    if (IpAddresses.family(peers.get(i)) != family) {
                        problems.error(raw.get(i).origin(), n.path("unicast-peers") + "[" + i + "]",
                                Node.render(raw.get(i)) + " (expected an " + family + " address like the virtual addresses)");
                    }
                }
            }
        }
        Boolean pseudo = n.bool("v3-checksum-pseudo-header");
        VrrpInstanceConfig.Track track = track(n.object("track"), trackScriptNames);
        AnnounceConfig garp = garp(n.object("garp"));
        NotifyCommands notify = notify(n.object("notify"), "master", "backup", "fault", "stop", "any");
        n.finish();
        if (garp != null) {
            announce.put(name, garp);
        }
        if (iface == null || vrid == null || priority == null || version == null || advert == null || preempt == null
                || preemptDelay == null || peers == null || peersCheck == null || minTtl == null || vips == null || vips.isEmpty() || pseudo == null
                || track == null || notify == null || (auth != null && auth.userSet("password") && password == null)) {
            return null;
        }
        String pw = password;
        Duration adv = advert;
        return n.build(() -> new VrrpInstanceConfig(name, iface, vrid, priority, version, adv, preempt, preemptDelay,
                unicastSource, peers, peersCheck, minTtl, pw, vips, pseudo, track, notify));
    }

    private List<VirtualAddress> virtualAddresses(Node n) {
        List<ConfigValue> list = n.list("virtual-addresses");
        if (list == null) {
            return null;
        }
        if (list.isEmpty()) {
            n.error("virtual-addresses", "[] (expected at least one address like \"192.0.2.10/24\")");
            return null;
        }
        List<VirtualAddress> out = new ArrayList<>();
        Map<InetAddress, Integer> seen = new HashMap<>();
        IpFamily family = null;
        boolean ok = true;
        for (int i = 0; i < list.size(); i++) {
            ConfigValue v = list.get(i);
            String path = n.path("virtual-addresses") + "[" + i + "]";
            String text;
            String iface = null;
            ConfigOrigin origin = v.origin();
            if (v instanceof ConfigObject o) {
                Node e = new Node(o, path, problems);
                text = e.string("address", true, "an address like \"192.0.2.10/24\"");
                iface = ifname(e, "interface", false);
                e.finish();
                origin = o.containsKey("address") ? o.get("address").origin() : o.origin();
                if (text == null) {
                    ok = false;
                    continue;
                }
            } else if (v.valueType() == ConfigValueType.STRING) {
                text = (String) v.unwrapped();
            } else {
                problems.error(origin, path, Node.render(v) + " (expected an address like \"192.0.2.10/24\")");
                ok = false;
                continue;
            }
            IpPrefix prefix;
            try {
                prefix = IpPrefix.parse(text);
            } catch (IllegalArgumentException ex) {
                problems.error(origin, path, ex.getMessage() + " (expected an address like \"192.0.2.10/24\")");
                ok = false;
                continue;
            }
            if (family == null) {
                family = prefix.family();
            } else if (prefix.family() != family) {
                problems.error(origin, path, "\"" + text + "\" (expected " + family
                        + " like the first address: an instance advertises one family)");
                ok = false;
                continue;
            }
            Integer prev = seen.putIfAbsent(prefix.address(), i);
            if (prev != null) {
                problems.error(origin, path, "\"" + text + "\" duplicates virtual-addresses[" + prev + "]");
                ok = false;
                continue;
            }
            out.add(new VirtualAddress(prefix, iface));
        }
        return ok ? out : null;
    }

    private VrrpInstanceConfig.Track track(Node t, java.util.Collection<String> trackScriptNames) {
        if (t == null) {
            return null;
        }
        boolean ok = true;
        List<TrackedInterface> ifs = new ArrayList<>();
        List<TrackedScript> scripts = new ArrayList<>();
        List<TrackedFile> files = new ArrayList<>();
        List<ConfigValue> list = t.list("interfaces");
        ok &= list != null;
        for (int i = 0; list != null && i < list.size(); i++) {
            String path = t.path("interfaces") + "[" + i + "]";
            ConfigValue v = list.get(i);
            if (v.valueType() == ConfigValueType.STRING && IFNAME.matcher((String) v.unwrapped()).matches()) {
                ifs.add(new TrackedInterface((String) v.unwrapped(), 0));
            } else if (v instanceof ConfigObject o) {
                Node e = new Node(o, path, problems);
                String name = ifname(e, "name", true);
                Integer w = e.isNull("weight") ? Integer.valueOf(0) : e.intIn("weight", -254, 254, true);
                e.finish();
                if (name != null && w != null) {
                    ifs.add(new TrackedInterface(name, w));
                } else {
                    ok = false;
                }
            } else {
                problems.error(v.origin(), path, Node.render(v) + " (expected an interface name or { name, weight })");
                ok = false;
            }
        }
        list = t.list("scripts");
        ok &= list != null;
        for (int i = 0; list != null && i < list.size(); i++) {
            String path = t.path("scripts") + "[" + i + "]";
            ConfigValue v = list.get(i);
            String name = null;
            Integer w = null;
            ConfigOrigin origin = v.origin();
            if (v.valueType() == ConfigValueType.STRING) {
                name = (String) v.unwrapped();
            } else if (v instanceof ConfigObject o) {
                Node e = new Node(o, path, problems);
                name = e.string("name", true, "a vrrp.track-scripts name");
                w = e.isNull("weight") ? null : e.intIn("weight", -254, 254, true);
                if (!e.isNull("weight") && w == null) {
                    ok = false;
                }
                e.finish();
                origin = o.containsKey("name") ? o.get("name").origin() : o.origin();
            } else {
                problems.error(origin, path, Node.render(v) + " (expected a track-script name or { name, weight })");
                ok = false;
                continue;
            }
            if (name == null) {
                ok = false;
            } else if (!trackScriptNames.contains(name)) {
                String near = Node.closest(name, trackScriptNames);
                problems.error(origin, path, "\"" + name + "\" is not defined in vrrp.track-scripts"
                        + (near == null ? "" : " (did you mean " + near + "?)"));
                ok = false;
            } else {
                scripts.add(new TrackedScript(name, w));
            }
        }
        list = t.list("files");
        ok &= list != null;
        for (int i = 0; list != null && i < list.size(); i++) {
            String path = t.path("files") + "[" + i + "]";
            ConfigValue v = list.get(i);
            if (!(v instanceof ConfigObject o)) {
                problems.error(v.origin(), path, Node.render(v) + " (expected { path = /absolute/file, weight = N })");
                ok = false;
                continue;
            }
            Node e = new Node(o, path, problems);
            String p = e.string("path", true, "an absolute path");
            if (p != null && !p.startsWith("/")) {
                e.bad("path", "an absolute path");
                p = null;
            }
            Integer w = e.intIn("weight", -254, 254, true);
            e.finish();
            if (p != null && w != null) {
                files.add(new TrackedFile(Path.of(p), w));
            } else {
                ok = false;
            }
        }
        t.finish();
        return ok ? new VrrpInstanceConfig.Track(ifs, scripts, files) : null;
    }

    private AnnounceConfig garp(Node g) {
        if (g == null) {
            return null;
        }
        Duration delay = g.nonNegativeDuration("delay");
        Integer repeat = g.intIn("repeat", 1, 100, true);
        Duration refresh = g.nonNegativeDuration("refresh");
        Integer refreshRepeat = g.intIn("refresh-repeat", 1, 100, true);
        g.finish();
        if (delay == null || repeat == null || refresh == null || refreshRepeat == null) {
            return null;
        }
        return g.build(() -> new AnnounceConfig(delay, repeat, refresh, refreshRepeat));
    }

    private NotifyCommands notify(Node n, String... keys) {
        if (n == null) {
            return null;
        }
        Command[] c = new Command[5];
        boolean ok = true;
        for (int i = 0; i < keys.length; i++) {
            c[i] = command(n, keys[i], false);
            ok &= c[i] != null || n.isNull(keys[i]);
        }
        n.finish();
        return ok ? new NotifyCommands(c[0], c[1], c[2], c[3], c[4]) : null;
    }

    private void uniqueVrids(Node instancesNode, Map<String, VrrpInstanceConfig> instances) {
        // RFC 5798 §5.2.3: a VRID identifies a virtual router on a LAN, per address family.
        Map<String, String> owner = new HashMap<>();
        for (VrrpInstanceConfig c : instances.values()) {
            String key = c.interfaceName() + "/" + c.family() + "/" + c.virtualRouterId();
            String prev = owner.putIfAbsent(key, c.name());
            if (prev != null) {
                ConfigObject o = (ConfigObject) instancesNode.raw().get(c.name());
                ConfigValue v = o.get("virtual-router-id");
                problems.error(v.origin(), instancesNode.path(c.name()) + ".virtual-router-id",
                        c.virtualRouterId() + " (expected unique per interface and family: " + prev + " uses it on "
                                + c.interfaceName() + " for " + c.family() + ")");
            }
        }
    }

    private SyncGroupConfig syncGroup(Node sg, String name, java.util.Collection<String> instanceNames, Map<String, String> groupOf) {
        ConfigValue v = sg.value(name);
        List<ConfigValue> members;
        NotifyCommands notify = NotifyCommands.none();
        String membersPath;
        if (v.valueType() == ConfigValueType.LIST) {
            members = new ArrayList<>((ConfigList) v);
            membersPath = sg.path(name);
        } else if (v instanceof ConfigObject o) {
            Node g = new Node(o, sg.path(name), problems);
            members = g.list("instances");
            membersPath = g.path("instances");
            notify = g.isNull("notify") ? NotifyCommands.none()
                    : notify(g.object("notify"), "master", "backup", "fault", "stop", "any");
            g.finish();
            if (members == null || notify == null) {
                return null;
            }
        } else {
            sg.bad(name, "a list of instance names, or { instances = [...], notify { ... } }");
            return null;
        }
        if (members.isEmpty()) {
            problems.error(v.origin(), membersPath, "[] (expected at least one instance)");
            return null;
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            ConfigValue m = members.get(i);
            String path = membersPath + "[" + i + "]";
            if (m.valueType() != ConfigValueType.STRING) {
                problems.error(m.origin(), path, Node.render(m) + " (expected an instance name)");
                return null;
            }
            String inst = (String) m.unwrapped();
            if (!instanceNames.contains(inst)) {
                String near = Node.closest(inst, instanceNames);
                problems.error(m.origin(), path, "\"" + inst + "\" is not defined in vrrp.instances"
                        + (near == null ? "" : " (did you mean " + near + "?)"));
                return null;
            }
            String other = groupOf.putIfAbsent(inst, name);
            if (other != null) {
                problems.error(m.origin(), path, "\"" + inst + "\" is already in sync group " + other
                        + " (expected each instance in at most one group)");
                return null;
            }
            names.add(inst);
        }
        if (names.size() == 1) {
            problems.warning(v.origin(), sg.path(name), "has a single instance: a sync group only matters with two or more");
        }
        return new SyncGroupConfig(name, names, notify);
    }

    // ---- virtual servers

    private List<VirtualServerConfig> virtualServers(Node root) {
        List<ConfigValue> list = root.list("virtual-servers");
        if (list == null) {
            return List.of();
        }
        List<VirtualServerConfig> out = new ArrayList<>();
        Map<String, ConfigValue> names = new HashMap<>();
        Map<String, ConfigValue> services = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            ConfigValue v = list.get(i);
            String path = "virtual-servers[" + i + "]";
            if (!(v instanceof ConfigObject o)) {
                problems.error(v.origin(), path, Node.render(v) + " (expected a virtual server { name, address, ... })");
                continue;
            }
            ConfigObject t = template("virtual-server");
            Node n = new Node(t == null ? o : o.withFallback(t), path, problems, o.origin(), o);
            VirtualServerConfig vs = virtualServer(n);
            if (vs == null) {
                continue;
            }
            ConfigValue prev = names.putIfAbsent(vs.name(), o.get("name"));
            if (prev != null) {
                n.error("name", "\"" + vs.name() + "\" (expected unique: also at " + where(prev.origin()) + ")");
                continue;
            }
            String key = vs.fwmark() != null ? "fwmark " + vs.fwmark() + " " + vs.family()
                    : vs.protocol().key() + " " + IpAddresses.format(vs.address());
            prev = services.putIfAbsent(key, o);
            if (prev != null) {
                problems.error(o.origin(), path, "duplicate virtual server " + key + " (also at " + where(prev.origin()) + ")");
                continue;
            }
            out.add(vs);
        }
        return out;
    }

    private static String where(ConfigOrigin o) {
        return (o.filename() != null ? Path.of(o.filename()).getFileName().toString() : o.description())
                + ":" + o.lineNumber();
    }

    private VirtualServerConfig virtualServer(Node n) {
        String name = n.string("name", true, NAME_EXPECTED);
        if (name != null && !NAME.matcher(name).matches()) {
            n.bad("name", NAME_EXPECTED);
            name = null;
        }
        boolean hasAddress = !n.isNull("address");
        boolean hasFwmark = !n.isNull("fwmark");
        InetSocketAddress address = null;
        Long fwmark = null;
        IpFamily family = null;
        boolean ok = name != null;
        if (hasAddress == hasFwmark) {
            problems.error(n.origin(), n.path(hasAddress ? "fwmark" : "address"),
                    hasAddress ? "set together with address (expected exactly one of address or fwmark)"
                            : "missing (expected address = \"VIP:port\" or fwmark = N)");
            ok = false;
        } else if (hasAddress) {
            address = endpoint(n, "address", -1, true);
            ok &= address != null;
            if (address != null) {
                family = IpAddresses.family(address.getAddress());
                if (n.ownSet("family")) {
                    n.notValidHere("family", "set with address (expected only with fwmark: the address gives the family)");
                }
            }
        } else {
            fwmark = n.longIn("fwmark", 1, 0xFFFF_FFFFL, true);
            ok &= fwmark != null;
            family = n.isNull("family") ? IpFamily.IPV4 : n.choice("family", List.of(IpFamily.values()),
                    f -> f.name().toLowerCase(Locale.ROOT));
            ok &= family != null;
        }
        n.value("family");
        Protocol protocol = n.choice("protocol", List.of(Protocol.values()), Protocol::key);
        Scheduler scheduler = n.choice("scheduler", List.of(Scheduler.values()), Scheduler::key);
        Set<SchedulerFlag> flags = schedulerFlags(n, scheduler);
        Forwarding forwarding = n.choice("forwarding", CONFIG_FORWARDING, Forwarding::key);
        TunnelConfig tunnel = tunnel(n.object("tunnel"));
        if (forwarding != null && forwarding != Forwarding.TUN && n.ownSet("tunnel")) {
            n.notValidHere("tunnel", "set with forwarding = " + forwarding.key() + " (expected only with forwarding = tun)");
        }
        Persistence persistence = persistence(n.object("persistence"), family);
        Boolean onePacket = n.bool("one-packet");
        if (Boolean.TRUE.equals(onePacket) && protocol != null && protocol != Protocol.UDP && fwmark == null) {
            n.error("one-packet", "true with protocol = " + protocol.key() + " (expected only with protocol = udp)");
            onePacket = null;
        }
        if (address != null && address.getPort() == 0 && persistence != null && !persistence.enabled()) {
            n.error("address", Node.render(n.value("address"))
                    + " (expected a port 1-65535: port 0, all ports, needs persistence.timeout > 0)");
            ok = false;
        }
        OnFailure onFailure = n.choice("on-failure", List.of(OnFailure.values()), e -> e.name().toLowerCase(Locale.ROOT));
        if (onFailure == OnFailure.QUIESCE && protocol == Protocol.UDP) {
            n.warning("on-failure", "quiesce with protocol = udp: a UDP client that keeps its source port keeps "
                    + "being sent to a quiesced server until its entry expires; remove is the safe choice for UDP");
        }
        Duration drain = n.positiveDuration("drain-timeout", true);
        Quorum quorum = quorum(n.object("quorum"));
        InetSocketAddress sorry = n.isNull("sorry-server") ? null : endpoint(n, "sorry-server", portOf(address), true);
        if (sorry != null && family != null && IpAddresses.family(sorry.getAddress()) != family) {
            n.bad("sorry-server", "an " + family + " address like the virtual server");
            sorry = null;
        }
        ConfigObject checkTemplate = template("check");
        Node checkNode = n.objectOver("check", checkTemplate);
        ConfigObject checkObject = checkNode == null ? null : checkNode.raw();
        CheckConfig check = checkNode == null ? null : check(checkNode, protocol);
        List<RealServerConfig> reals = realServers(n, address, family, forwarding, n.value("tunnel"), tunnel,
                checkObject, check, protocol);
        if (reals != null && reals.isEmpty() && sorry == null) {
            n.warning("real-servers", "empty and no sorry-server: this service has nowhere to send traffic");
        }
        n.finish();
        if (!ok || protocol == null || scheduler == null || flags == null || forwarding == null || tunnel == null
                || persistence == null || onePacket == null || onFailure == null || drain == null || quorum == null
                || (sorry == null && !n.isNull("sorry-server")) || check == null || reals == null) {
            return null;
        }
        String nm = name;
        InetSocketAddress a = address;
        Long fm = fwmark;
        IpFamily fam = family;
        boolean op = onePacket;
        InetSocketAddress sorryServer = sorry;
        return n.build(() -> new VirtualServerConfig(nm, a, fm, fam, protocol, scheduler, flags, forwarding, tunnel,
                persistence, op, onFailure, drain, quorum, sorryServer, check, reals));
    }

    private static int portOf(InetSocketAddress a) {
        return a == null ? 0 : a.getPort();
    }

    private Set<SchedulerFlag> schedulerFlags(Node n, Scheduler scheduler) {
        List<ConfigValue> list = n.list("scheduler-flags");
        if (list == null) {
            return null;
        }
        Set<SchedulerFlag> out = EnumSet.noneOf(SchedulerFlag.class);
        List<String> names = Arrays.stream(SchedulerFlag.values()).map(SchedulerFlag::key).toList();
        for (int i = 0; i < list.size(); i++) {
            ConfigValue v = list.get(i);
            String path = n.path("scheduler-flags") + "[" + i + "]";
            SchedulerFlag flag = v.valueType() != ConfigValueType.STRING ? null : Arrays.stream(SchedulerFlag.values())
                    .filter(f -> f.key().equals(v.unwrapped())).findFirst().orElse(null);
            if (flag == null) {
                problems.error(v.origin(), path, Node.render(v) + " (expected one of " + String.join(", ", names) + ")");
                return null;
            }
            if (scheduler != null && flag.scheduler() != scheduler) {
                problems.error(v.origin(), path, flag.key() + " with scheduler = " + scheduler.key()
                        + " (expected only with scheduler = " + flag.scheduler().key() + ")");
                return null;
            }
            out.add(flag);
        }
        return out;
    }

    private TunnelConfig tunnel(Node t) {
        if (t == null) {
            return null;
        }
        TunnelConfig.Type type = t.choice("type", List.of(TunnelConfig.Type.values()), TunnelConfig.Type::key);
        Integer port = t.isNull("port") ? Integer.valueOf(0) : t.intIn("port", 1, 65535, true);
        if (type == TunnelConfig.Type.GUE && port != null && port == 0) {
            t.error("port", "missing (expected 1-65535 for gue)");
            port = null;
        }
        TunnelConfig.Checksum csum = t.choice("checksum", List.of(TunnelConfig.Checksum.values()),
                TunnelConfig.Checksum::key);
        t.finish();
        if (type == null || port == null || csum == null) {
            return null;
        }
        int p = port;
        return t.build(() -> new TunnelConfig(type, p, csum));
    }

    private Persistence persistence(Node p, IpFamily family) {
        if (p == null) {
            return null;
        }
        Duration timeout = p.nonNegativeDuration("timeout");
        if (timeout != null && timeout.toNanos() % 1_000_000_000L != 0) {
            p.bad("timeout", "whole seconds (the kernel counts seconds)");
            timeout = null;
        }
        Integer prefix = null;
        boolean ok = timeout != null;
        if (!p.isNull("netmask")) {
            ConfigValue v = p.value("netmask");
            int bits = family == null ? 128 : family.bits();
            if (v.valueType() == ConfigValueType.NUMBER && v.unwrapped() instanceof Integer i && i >= 1 && i <= bits) {
                prefix = i;
            } else if (v.valueType() == ConfigValueType.STRING && family != IpFamily.IPV6) {
                prefix = maskToPrefix((String) v.unwrapped());
            }
            if (prefix == null) {
                p.bad("netmask", family == IpFamily.IPV6 ? "a prefix length 1-128"
                        : "a netmask like 255.255.255.0 or a prefix length 1-32");
                ok = false;
            } else if (timeout != null && timeout.isZero()) {
                p.error("netmask", "set without a persistence timeout (expected persistence.timeout > 0)");
                ok = false;
            }
        }
        String engine = p.string("engine", false, "sip");
        if (engine != null && !engine.equals("sip")) {
            p.bad("engine", "sip");
            ok = false;
        } else if (engine != null && timeout != null && timeout.isZero()) {
            p.error("engine", "set without a persistence timeout (expected persistence.timeout > 0)");
            ok = false;
        }
        p.finish();
        return ok ? new Persistence(timeout, prefix, engine) : null;
    }

    private static Integer maskToPrefix(String mask) {
        try {
            InetAddress a = IpAddresses.parse(mask);
            if (IpAddresses.family(a) != IpFamily.IPV4) {
                return null;
            }
            int bits = 0;
            for (byte b : a.getAddress()) {
                bits = (bits << 8) | (b & 0xff);
            }
            int prefix = Integer.bitCount(bits);
            // A netmask is contiguous ones: its complement plus one is a power of two.
            return prefix > 0 && (~bits & (~bits + 1)) == 0 ? prefix : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private Quorum quorum(Node q) {
        if (q == null) {
            return null;
        }
        Integer weight = q.intIn("weight", 0, Integer.MAX_VALUE, true);
        Integer hysteresis = q.intIn("hysteresis", 0, Integer.MAX_VALUE, true);
        Command up = command(q, "up", false);
        Command down = command(q, "down", false);
        q.finish();
        if (weight == null || hysteresis == null || (up == null && !q.isNull("up")) || (down == null && !q.isNull("down"))) {
            return null;
        }
        if (hysteresis > weight) {
            q.bad("hysteresis", "0-" + weight + ", at most quorum.weight");
            return null;
        }
        return new Quorum(weight, hysteresis, up, down);
    }

    private List<RealServerConfig> realServers(Node vs, InetSocketAddress vip, IpFamily family, Forwarding fwd,
                                               ConfigValue vsTunnelRaw, TunnelConfig vsTunnel, ConfigObject vsCheck,
                                               CheckConfig check, Protocol protocol) {
        List<ConfigValue> list = vs.list("real-servers");
        if (list == null) {
            return null;
        }
        List<RealServerConfig> out = new ArrayList<>();
        Map<InetSocketAddress, ConfigValue> seen = new HashMap<>();
        boolean ok = true;
        for (int i = 0; i < list.size(); i++) {
            ConfigValue v = list.get(i);
            String path = vs.path("real-servers") + "[" + i + "]";
            if (!(v instanceof ConfigObject o)) {
                problems.error(v.origin(), path, Node.render(v) + " (expected a real server { address, weight })");
                ok = false;
                continue;
            }
            ConfigObject t = template("real-server");
            Node n = new Node(t == null ? o : o.withFallback(t), path, problems, o.origin());
            InetSocketAddress addr = endpoint(n, "address", portOf(vip), true);
            Integer weight = n.intIn("weight", 0, RealServerConfig.MAX_WEIGHT, true);
            Forwarding f = n.userSet("forwarding")
                    ? n.choice("forwarding", CONFIG_FORWARDING, Forwarding::key) : fwd;
            n.value("forwarding");
            TunnelConfig tun = vsTunnel;
            if (n.userSet("tunnel")) {
                ConfigObject base = vsTunnelRaw instanceof ConfigObject b ? b : null;
                tun = tunnel(n.objectOver("tunnel", base));
                if (f != null && f != Forwarding.TUN) {
                    n.notValidHere("tunnel", "set with forwarding = " + f.key() + " (expected only with forwarding = tun)");
                }
            }
            n.value("tunnel");
            Integer upper = n.intIn("upper-threshold", 0, Integer.MAX_VALUE, true);
            Integer lower = n.intIn("lower-threshold", 0, Integer.MAX_VALUE, true);
            CheckConfig rsCheck = check;
            if (n.userSet("check") && vsCheck != null) {
                ConfigObject base = vsCheck;
                if (n.raw().get("check") instanceof ConfigObject own && own.containsKey("type")) {
                    // A real server that changes the check type does not inherit the other type's block.
                    for (String block : CHECK_BLOCKS) {
                        base = base.withoutKey(block);
                    }
                }
                Node c = n.objectOver("check", base);
                rsCheck = c == null ? null : check(c, protocol);
            }
            n.value("check");
            Node notifyNode = n.object("notify");
            Command up = notifyNode == null ? null : command(notifyNode, "up", false);
            Command down = notifyNode == null ? null : command(notifyNode, "down", false);
            boolean notifyOk = notifyNode != null && (up != null || notifyNode.isNull("up"))
                    && (down != null || notifyNode.isNull("down"));
            if (notifyNode != null) {
                notifyNode.finish();
            }
            if (addr != null && family != null && f != null) {
                if (f != Forwarding.TUN && IpAddresses.family(addr.getAddress()) != family) {
                    n.bad("address", "an " + family + " address like the virtual server (only tun mixes families)");
                    addr = null;
                } else if (f.keepsPort() && vip != null && addr.getPort() != vip.getPort()) {
                    n.bad("address", "port " + vip.getPort() + ": " + f.key()
                            + " cannot remap ports, only nat can");
                    addr = null;
                }
            }
            if (addr != null) {
                ConfigValue prev = seen.putIfAbsent(addr, o);
                if (prev != null) {
                    n.error("address", "duplicate real server " + IpAddresses.format(addr)
                            + " (also at " + where(prev.origin()) + ")");
                    addr = null;
                }
            }
            if (addr != null && f != null && rsCheck != null && rsCheck.throughVip()
                    && !throughVipFits(n, vip, addr, f, protocol)) {
                rsCheck = null;
            }
            if (upper != null && lower != null && upper > 0 && lower > upper) {
                n.bad("lower-threshold", "0-" + upper + ", at most upper-threshold");
                lower = null;
            }
            n.finish();
            if (addr == null || weight == null || f == null || tun == null || upper == null || lower == null
                    || rsCheck == null || !notifyOk) {
                ok = false;
                continue;
            }
            InetSocketAddress a = addr;
            Forwarding ff = f;
            TunnelConfig tt = tun;
            int u = upper;
            int l = lower;
            CheckConfig cc = rsCheck;
            RealServerConfig rs = n.build(() -> new RealServerConfig(a, weight, ff, tt, u, l, cc, up, down));
            if (rs == null) {
                ok = false;
            } else {
                out.add(rs);
            }
        }
        return ok ? out : null;
    }

    // ---- checks

    private CheckConfig check(Node c, Protocol protocol) {
        CheckType type = c.choice("type", List.of(CheckType.values()), CheckType::key);
        Duration interval = c.positiveDuration("interval", true);
        Duration timeout = c.positiveDuration("timeout", true);
        Integer retries = c.intIn("retries", 1, 100, true);
        Duration retryDelay = c.positiveDuration("retry-delay", true);
        Integer rise = c.intIn("rise", 1, 100, true);
        Boolean warmup = c.bool("warmup");
        Boolean alpha = c.bool("alpha");
        InetAddress connectAddress = ip(c, "connect-address", false);
        Integer connectPort = c.isNull("connect-port") ? null : c.intIn("connect-port", 1, 65535, true);
        InetAddress sourceAddress = ip(c, "source-address", false);
        Integer sourcePort = c.isNull("source-port") ? null : c.intIn("source-port", 1, 65535, true);
        String iface = ifname(c, "interface", false);
        Boolean throughVip = c.bool("through-vip");
        if (Boolean.TRUE.equals(throughVip)) {
            for (String key : List.of("connect-address", "source-address", "source-port", "interface")) {
                if (!c.isNull(key)) {
                    c.error(key, "set with through-vip = true (expected null: a probe through the VIP goes to the VIP,"
                            + " from lvsd's probe namespace)");
                    throughVip = null;
                }
            }
            if (type != null && !type.network()) {
                c.error("through-vip", "true with type = " + type.key() + " (expected tcp, http, https, udp or dns)");
                throughVip = null;
            }
        }
        boolean ok = type != null && interval != null && throughVip != null && timeout != null && retries != null && retryDelay != null
                && rise != null && warmup != null && alpha != null
                && (connectAddress != null || c.isNull("connect-address"))
                && (connectPort != null || c.isNull("connect-port"))
                && (sourceAddress != null || c.isNull("source-address"))
                && (sourcePort != null || c.isNull("source-port"))
                && (iface != null || c.isNull("interface"));
        if (type == CheckType.UDP && protocol == Protocol.TCP) {
            c.warning("type", "udp check for a tcp service: make sure the real server answers UDP on that port");
        }
        CheckSpec spec = null;
        for (String block : CHECK_BLOCKS) {
            boolean mine = type != null && (type.key().equals(block) || (type == CheckType.HTTPS && block.equals("http")));
            if (mine) {
                Node b = c.objectOver(block, template("check-" + block));
                spec = b == null ? null : spec(type, b);
            } else if (c.userSet(block)) {
                c.value(block);
                c.notValidHere(block, "set with type = " + (type == null ? "?" : type.key()) + " (expected only with type = "
                        + (block.equals("http") ? "http or https" : block) + ")");
            }
        }
        if (type == CheckType.NONE) {
            spec = new CheckSpec.None();
        }
        c.finish();
        if (!ok || spec == null) {
            return null;
        }
        CheckSpec s = spec;
        boolean viaVip = throughVip;
        return c.build(() -> new CheckConfig(interval, timeout, retries, retryDelay, rise, warmup, alpha,
                connectAddress, connectPort, sourceAddress, sourcePort, iface, viaVip, s));
    }

    private CheckSpec spec(CheckType type, Node b) {
        CheckSpec spec = switch (type) {
            case TCP -> tcp(b);
            case HTTP, HTTPS -> http(b, type == CheckType.HTTPS);
            case UDP -> udp(b);
            case DNS -> dns(b);
            case SCRIPT -> script(b);
            case AGENT -> agent(b);
            default -> null;
        };
        b.finish();
        return spec;
    }

    private CheckSpec tcp(Node b) {
        Boolean halfOpen = b.bool("half-open");
        return halfOpen == null ? null : new CheckSpec.Tcp(halfOpen);
    }

    private CheckSpec http(Node b, boolean tls) {
        String method = b.string("method", true, "an HTTP method like GET");
        if (method != null && !method.matches("[A-Z]+")) {
            b.bad("method", "an HTTP method like GET or HEAD");
            method = null;
        }
        String path = b.string("path", true, "an absolute path like /health");
        if (path != null && (!path.startsWith("/") || !token(path, true))) {
            b.bad("path", "an absolute path like /health, without spaces or control characters (a space is %20)");
            path = null;
        }
        String host = b.string("host", false, "a Host header value");
        boolean headersOk = true;
        if (host != null && !token(host, false)) {
            b.bad("host", "a Host header value like www.example.com, in ASCII (an international name as its "
                    + "xn-- form), without spaces or control characters");
            headersOk = false;
        }
        String sni = b.string("sni", false, "a server name");
        if (sni != null && !DNS_NAME.matcher(sni).matches()) {
            b.bad("sni", "a server name like www.example.com");
            headersOk = false;
        }
        if (sni != null && !tls) {
            b.error("sni", "set with type = http (expected only with type = https)");
        }
        List<CheckSpec.StatusRange> status = new ArrayList<>();
        List<ConfigValue> list = b.list("status");
        boolean ok = list != null;
        for (int i = 0; list != null && i < list.size(); i++) {
            ConfigValue v = list.get(i);
            try {
                status.add(CheckSpec.StatusRange.parse(String.valueOf(v.unwrapped())));
            } catch (IllegalArgumentException e) {
                problems.error(v.origin(), b.path("status") + "[" + i + "]",
                        Node.render(v) + " (expected a code like 200 or a range like 200-299)");
                ok = false;
            }
        }
        if (list != null && list.isEmpty()) {
            b.bad("status", "at least one code or range");
            ok = false;
        }
        Pattern regex = null;
        String re = b.string("body-regex", false, "a regular expression");
        if (re != null) {
            try {
                regex = Pattern.compile(re);
            } catch (PatternSyntaxException e) {
                b.error("body-regex", Node.render(b.value("body-regex")) + " (expected a regular expression: "
                        + e.getDescription() + ")");
                ok = false;
            }
        }
        CheckSpec.Digest digest = null;
        String d = b.string("digest", false, "md5:HEX or sha256:HEX");
        if (d != null) {
            try {
                digest = CheckSpec.Digest.parse(d);
            } catch (IllegalArgumentException e) {
                b.bad("digest", "md5:HEX (32 digits) or sha256:HEX (64 digits)");
                ok = false;
            }
        }
        Integer maxBytes = b.intIn("max-bytes", 1, 64 << 20, true);
        String version = b.string("version", true, "1.0 or 1.1");
        if (version != null && !version.equals("1.0") && !version.equals("1.1")) {
            b.bad("version", "1.0 or 1.1");
            version = null;
        }
        if (!ok || !headersOk || method == null || path == null || maxBytes == null || version == null) {
            return null;
        }
        String m = method;
        String p = path;
        Pattern r = regex;
        CheckSpec.Digest dg = digest;
        String ver = version;
        return b.build(() -> new CheckSpec.Http(tls, m, p, host, sni, status, r, dg, maxBytes, ver));
    }

    private CheckSpec udp(Node b) {
        String text = b.string("payload", false, "a text payload");
        String hex = b.string("payload-hex", false, "hex digits");
        if ((text == null) == (hex == null)) {
            b.error(text == null ? "payload" : "payload-hex",
                    text == null ? "missing (expected payload = \"text\" or payload-hex = \"0a0b...\")"
                            : "set together with payload-hex (expected exactly one)");
            return null;
        }
        String payloadHex;
        if (hex != null) {
            if (!hex.matches("([0-9A-Fa-f]{2})+")) {
                b.bad("payload-hex", "pairs of hex digits");
                return null;
            }
            payloadHex = hex;
        } else {
            payloadHex = HexFormat.of().formatHex(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        CheckSpec.Expect expect = null;
        int given = 0;
        for (String key : List.of("expect", "expect-regex", "expect-hex")) {
            String value = b.string(key, false, "the expected reply");
            if (value == null) {
                continue;
            }
            if (++given > 1) {
                b.error(key, "set together with another expect key (expected at most one of expect, expect-regex, expect-hex)");
                return null;
            }
            CheckSpec.Expect.Kind kind = switch (key) {
                case "expect" -> CheckSpec.Expect.Kind.EXACT;
                case "expect-regex" -> CheckSpec.Expect.Kind.REGEX;
                default -> CheckSpec.Expect.Kind.HEX;
            };
            try {
                expect = new CheckSpec.Expect(kind, value);
            } catch (IllegalArgumentException e) {
                b.bad(key, kind == CheckSpec.Expect.Kind.REGEX ? "a regular expression"
                        : "pairs of hex digits, ? for any nibble");
                return null;
            }
        }
        return new CheckSpec.Udp(payloadHex, expect);
    }

    private CheckSpec dns(Node b) {
        String name = b.string("name", true, "a domain name");
        if (name != null && !name.equals(".") && !DNS_NAME.matcher(name).matches()) {
            b.bad("name", "a domain name");
            name = null;
        }
        String qtype = b.string("type", true, "a query type");
        if (qtype != null && !CheckSpec.Dns.TYPES.contains(qtype.toUpperCase(Locale.ROOT))) {
            b.bad("type", "one of " + String.join(", ", CheckSpec.Dns.TYPES));
            qtype = null;
        }
        String answer = b.string("answer", false, "text the answer must contain");
        if (name == null || qtype == null) {
            return null;
        }
        return new CheckSpec.Dns(name, qtype.toUpperCase(Locale.ROOT), answer);
    }

    private CheckSpec script(Node b) {
        Command command = command(b, "command", true);
        Boolean dynamic = b.bool("dynamic");
        return command == null || dynamic == null ? null : new CheckSpec.Script(command, dynamic);
    }

    /**
     * Whether {@code s} can go into an HTTP request line or header as it is: no space and no control character
     * (RFC 9112 sections 3 and 5; Netty refuses such a request at every probe), and, unless {@code nonAscii},
     * nothing beyond ASCII. A path beyond ASCII goes out in UTF-8, as it always has.
     */
    private static boolean token(String s, boolean nonAscii) {
        return !s.isEmpty() && s.chars().allMatch(c -> (nonAscii || c < 0x7f) && !Character.isWhitespace(c)
                && !Character.isISOControl(c));
    }

    private CheckSpec agent(Node b) {
        Command command = command(b, "command", false);
        Integer port = b.isNull("port") ? null : b.intIn("port", 1, 65535, true);
        String path = b.string("path", false, "an HTTP path like /load");
        boolean ok = (command != null || b.isNull("command")) && (port != null || b.isNull("port"));
        if (ok && (command == null) == (port == null)) {
            b.error(command == null ? "command" : "port", command == null
                    ? "missing (expected command = \"...\" on the director, or port = N on the real server)"
                    : "set together with port (expected exactly one of command or port)");
            ok = false;
        }
        if (path != null && (!path.startsWith("/") || !token(path, true))) {
            b.bad("path", "an absolute path like /load, without spaces or control characters (a space is %20)");
            ok = false;
        }
        if (path != null && port == null) {
            b.error("path", "set without port (expected path only for an HTTP agent on the real server)");
            ok = false;
        }
        CheckSpec.Agent.Reports reports = b.choice("reports", List.of(CheckSpec.Agent.Reports.values()),
                r -> r.name().toLowerCase(Locale.ROOT));
        Double loadFull = b.number("load-full", "a number > 0");
        if (loadFull != null && !(loadFull > 0)) {
            b.bad("load-full", "a number > 0");
            loadFull = null;
        }
        Integer minWeight = b.intIn("min-weight", 0, RealServerConfig.MAX_WEIGHT, true);
        Integer maxWeight = b.isNull("max-weight") ? null : b.intIn("max-weight", 0, RealServerConfig.MAX_WEIGHT, true);
        Double smoothing = b.number("smoothing", "a number > 0 and <= 1");
        if (smoothing != null && !(smoothing > 0 && smoothing <= 1)) {
            b.bad("smoothing", "a number > 0 and <= 1");
            smoothing = null;
        }
        if (!ok || reports == null || loadFull == null || minWeight == null || smoothing == null
                || (maxWeight == null && !b.isNull("max-weight"))) {
            return null;
        }
        double lf = loadFull;
        double sm = smoothing;
        return b.build(() -> new CheckSpec.Agent(command, port, path, reports, lf, minWeight, maxWeight, sm));
    }

    // ---- sync daemon, ipvs

    private SyncDaemonConfig syncDaemon(Node n, VrrpConfig vrrp) {
        if (n == null) {
            return null;
        }
        String iface = ifname(n, "interface", false);
        Integer syncId = n.intIn("sync-id", 0, 255, true);
        String follow = n.string("follow", false, "a vrrp.instances name");
        if (follow != null && vrrp != null && !vrrp.instances().containsKey(follow)) {
            // vrrp.instances may be null or not an object: vrrp() has reported that, and getObject would throw.
            if (merged.root().get("vrrp") instanceof ConfigObject v
                    && v.get("instances") instanceof ConfigObject instances && !instances.containsKey(follow)) {
                String near = Node.closest(follow, instances.keySet());
                n.error("follow", "\"" + follow + "\" is not defined in vrrp.instances"
                        + (near == null ? "" : " (did you mean " + near + "?)"));
            }
            follow = null;
        }
        if (follow != null && iface == null && n.isNull("interface")) {
            n.error("follow", "set without sync-daemon.interface (expected an interface for the sync daemons)");
            follow = null;
        }
        Integer maxlen = n.isNull("maxlen") ? Integer.valueOf(0) : n.intIn("maxlen", 576, 65507, true);
        InetAddress group = ip(n, "group", false);
        if (group != null && !group.isMulticastAddress()) {
            n.bad("group", "a multicast address like 224.0.0.81");
            group = null;
        }
        Integer port = n.intIn("port", 1, 65535, true);
        Integer ttl = n.intIn("ttl", 1, 255, true);
        Duration wait = n.nonNegativeDuration("preempt-wait");
        n.finish();
        if ((iface == null && !n.isNull("interface")) || syncId == null || (follow == null && !n.isNull("follow"))
                || maxlen == null || (group == null && !n.isNull("group")) || port == null || ttl == null || wait == null) {
            return null;
        }
        InetAddress g = group;
        String f = follow;
        return n.build(() -> new SyncDaemonConfig(iface, syncId, f, maxlen, g, port, ttl, wait));
    }

    private IpvsConfig ipvs(Node n) {
        if (n == null) {
            return null;
        }
        Node t = n.object("timeouts");
        IpvsTimeouts timeouts = null;
        if (t != null) {
            Duration[] d = new Duration[3];
            String[] keys = {"tcp", "tcp-fin", "udp"};
            boolean ok = true;
            for (int i = 0; i < 3; i++) {
                d[i] = t.positiveDuration(keys[i], false);
                if (d[i] != null && d[i].toNanos() % 1_000_000_000L != 0) {
                    t.bad(keys[i], "whole seconds (the kernel counts seconds)");
                    d[i] = null;
                }
                ok &= d[i] != null || t.isNull(keys[i]);
            }
            t.finish();
            timeouts = ok ? new IpvsTimeouts(d[0], d[1], d[2]) : null;
        }
        Duration drift = n.positiveDuration("drift-check-interval", true);
        n.finish();
        return timeouts == null || drift == null ? null : new IpvsConfig(timeouts, drift);
    }

    /** {@code routing}: VIP announcement through a routing daemon. */
    private RoutingConfig routing(Node n) {
        if (n == null) {
            return null;
        }
        Boolean enabled = n.bool("enabled");
        Integer table = n.intIn("table", 1, Integer.MAX_VALUE, true);
        if (table != null && table >= 252 && table <= 255) {
            n.bad("table", "a table of lvsd's own, not the kernel's default, main or local table (252-255): like 4242");
            table = null;
        }
        Integer protocol = n.intIn("protocol", 5, 255, true);
        String daemon = n.string("daemon", true, "bird or none");
        RoutingConfig.Daemon d = null;
        for (RoutingConfig.Daemon x : RoutingConfig.Daemon.values()) {
            if (x.key().equals(daemon)) {
                d = x;
            }
        }
        if (daemon != null && d == null) {
            n.bad("daemon", "bird or none");
        }
        String socket = n.string("control-socket", true, "the routing daemon's control socket, like /run/bird/bird.ctl");
        if (socket != null && !socket.startsWith("/")) {
            n.bad("control-socket", "an absolute path, like /run/bird/bird.ctl");
            socket = null;
        }
        n.finish();
        if (enabled == null || table == null || protocol == null || d == null || socket == null) {
            return null;
        }
        return new RoutingConfig(enabled, table, protocol, d, Path.of(socket));
    }

    /**
     * What makes active-active directors break connections: a scheduler that does not hash consistently (a flow
     * that moves to another director must reach the same real server there), NAT (the replies must pass the director
     * that saw the request), and VIPs that VRRP moves as well. Warnings: the configuration still loads.
     */
    private void routingWarnings(Node n, List<VirtualServerConfig> vss, VrrpConfig vrrp) {
        List<String> unhashed = new ArrayList<>();
        List<String> nat = new ArrayList<>();
        List<String> fwmark = new ArrayList<>();
        List<String> removing = new ArrayList<>();
        List<String> noFallback = new ArrayList<>();
        List<String> thresholds = new ArrayList<>();
        for (VirtualServerConfig v : vss) {
            if (v.scheduler() != Scheduler.MH) {
                unhashed.add(v.name() + " (" + v.scheduler().key() + ")");
            } else {
                // UDP keeps remove: a quiesced server keeps its UDP clients until their entries expire, and the
                // reconciler puts a returning server back at its place in the list, the same on every director.
                if (v.onFailure() == VirtualServerConfig.OnFailure.REMOVE && v.protocol() != Protocol.UDP) {
                    removing.add(v.name());
                }
                if (!v.schedulerFlags().contains(SchedulerFlag.MH_FALLBACK)) {
                    noFallback.add(v.name());
                }
                if (v.realServers().stream().anyMatch(r -> r.upperThreshold() > 0)) {
                    thresholds.add(v.name());
                }
            }
            if (v.forwarding() == Forwarding.NAT) {
                nat.add(v.name());
            }
            if (v.address() == null) {
                fwmark.add(v.name());
            }
        }
        if (!unhashed.isEmpty()) {
            n.warning("enabled", "true with schedulers that do not hash consistently: " + String.join(", ", unhashed)
                    + " (expected scheduler = mh: when the router moves a flow to another director, only mh sends it"
                    + " to the same real server there; other schedulers break established connections)");
        }
        if (!nat.isEmpty()) {
            n.warning("enabled", "true with NAT forwarding in " + String.join(", ", nat) + " (expected dr or tun: a"
                    + " NAT reply must pass the director that saw the request, which ECMP does not promise)");
        }
        if (!fwmark.isEmpty()) {
            n.warning("enabled", "true with firewall-mark services " + String.join(", ", fwmark) + ", which have no VIP"
                    + " to announce (their addresses must be announced by other means)");
        }
        if (!removing.isEmpty()) {
            n.warning("enabled", "true with TCP or SCTP mh services that remove a failed real server: "
                    + String.join(", ", removing) + " (expected on-failure = quiesce: weight 0 keeps the server's slots"
                    + " of the Maglev table, so no other flow moves; removing it rebuilds the table and moves some new"
                    + " flows of the servers that still work)");
        }
        if (!noFallback.isEmpty()) {
            n.warning("enabled", "true with mh services without the mh-fallback flag: " + String.join(", ", noFallback)
                    + " (expected scheduler-flags = [mh-fallback, mh-port]: without it, new flows that hash to a"
                    + " quiesced real server are refused with an ICMP port unreachable)");
        }
        if (!thresholds.isEmpty()) {
            n.warning("enabled", "true with upper-threshold on real servers of mh services: "
                    + String.join(", ", thresholds) + " (expected 0: each director counts its own connections, so the"
                    + " directors would disagree about which server is full)");
        }
        if (vrrp != null && !vrrp.instances().isEmpty()) {
            n.warning("enabled", "true with VRRP instances (expected one of the two: VRRP moves the VIPs to one"
                    + " director, routing announces them from every director)");
        }
    }

    // ---- shared value readers

    private String ifname(Node n, String key, boolean required) {
        String s = n.string(key, required, "an interface name");
        if (s != null && !IFNAME.matcher(s).matches()) {
            n.bad(key, "an interface name of 1-15 characters without '/', ':' or spaces");
            return null;
        }
        return s;
    }

    private InetAddress ip(Node n, String key, boolean required) {
        String s = n.string(key, required, "an IP address");
        if (s == null) {
            return null;
        }
        try {
            return IpAddresses.parse(s);
        } catch (IllegalArgumentException e) {
            n.bad(key, "an IP address");
            return null;
        }
    }

    private List<InetAddress> ipList(Node n, String key) {
        List<ConfigValue> list = n.list(key);
        if (list == null) {
            return null;
        }
        List<InetAddress> out = new ArrayList<>();
        Set<InetAddress> seen = new java.util.HashSet<>();
        boolean ok = true;
        for (int i = 0; i < list.size(); i++) {
            ConfigValue v = list.get(i);
            try {
                InetAddress a = IpAddresses.parse(v.valueType() == ConfigValueType.STRING ? (String) v.unwrapped() : null);
                if (!seen.add(a)) {
                    problems.error(v.origin(), n.path(key) + "[" + i + "]", Node.render(v) + " is listed twice");
                    ok = false;
                }
                out.add(a);
            } catch (IllegalArgumentException e) {
                problems.error(v.origin(), n.path(key) + "[" + i + "]", Node.render(v) + " (expected an IP address)");
                ok = false;
            }
        }
        return ok ? out : null;
    }

    private InetSocketAddress endpoint(Node n, String key, int defaultPort, boolean required) {
        String s = n.string(key, required, "address:port");
        if (s == null) {
            return null;
        }
        try {
            return IpAddresses.parseEndpoint(s, defaultPort);
        } catch (IllegalArgumentException e) {
            n.bad(key, defaultPort < 0 ? "address:port like \"192.0.2.1:80\" or \"[2001:db8::1]:80\""
                    : "address or address:port like \"192.0.2.1:80\"");
            return null;
        }
    }

    private Command command(Node n, String key, boolean required) {
        ConfigValue v = n.value(key);
        if (v == null || v.valueType() == ConfigValueType.NULL) {
            if (required) {
                n.error(key, "missing (expected a command line or a list [program, args...])");
            }
            return null;
        }
        try {
            if (v.valueType() == ConfigValueType.STRING) {
                return Command.parse((String) v.unwrapped());
            }
            if (v.valueType() == ConfigValueType.LIST) {
                List<String> argv = new ArrayList<>();
                for (ConfigValue e : (ConfigList) v) {
                    if (e.valueType() != ConfigValueType.STRING && e.valueType() != ConfigValueType.NUMBER) {
                        n.bad(key, "a command line or a list of strings");
                        return null;
                    }
                    argv.add(String.valueOf(e.unwrapped()));
                }
                return new Command(argv);
            }
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            n.error(key, Node.render(v) + " (" + msg.substring(msg.indexOf('(') + 1));
            return null;
        }
        n.bad(key, "a command line or a list [program, args...]");
        return null;
    }
}
