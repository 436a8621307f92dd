package io.lvsd.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpPrefix;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The host's packet filter, read from {@code nft -j list ruleset} or {@code iptables-save}, and judged for one kind
 * of traffic (VRRP, or connection sync) on one interface.
 *
 * <p>Only what a rule says explicitly is judged: its protocol, destination address, destination port and interface,
 * and a chain's drop policy. A rule with any other condition (a source address, a connection state, a jump to
 * another chain) cannot be judged from here; when such a rule could drop the traffic the verdict is
 * {@link Verdict#UNDETERMINED}, never ok.
 */
public final class Firewall {
    private Firewall() {
    }

    /** What a rule does with a packet it matches. */
    public enum Action { ACCEPT, DROP, OTHER, NONE }

    /**
     * What a rule matches, as far as the judgement goes; {@code family} is {@code ip} or {@code ip6} when the rule
     * matches only that family's packets (nft's {@code ip protocol}, {@code ip6 daddr}, {@code meta nfproto}), else
     * {@code null}.
     */
    public record Rule(String text, String iif, String oif, List<String> protocols, boolean protocolNegated,
                       List<IpPrefix> daddrs, List<Integer> dports, boolean otherConditions, Action action, String family) {
        public Rule {
            protocols = List.copyOf(protocols);
            daddrs = List.copyOf(daddrs);
            dports = List.copyOf(dports);
        }
    }

    /**
     * A base chain: where it sits ({@code input}, {@code output}, {@code prerouting}, {@code ingress}...), its family
     * ({@code ip}, {@code ip6}, {@code inet}, {@code netdev}, {@code bridge}, {@code arp}), the device of a netdev or
     * inet ingress / egress chain, its policy and its rules.
     */
    public record Chain(String name, String hook, String family, String device, boolean dropPolicy, List<Rule> rules) {
        public Chain {
            rules = List.copyOf(rules);
        }
    }

    /** Every base chain the tool showed, and which tool. */
    public record Ruleset(String source, List<Chain> chains) {
        public Ruleset {
            chains = List.copyOf(chains);
        }
    }

    /**
     * A kind of traffic to judge: its IP protocol ({@code vrrp} is 112), the destination it goes to (a multicast
     * group, or {@code null} for unicast to this host), its UDP destination port or 0, the interface, and
     * whether it arrives ({@code input}) or leaves.
     */
    public record Traffic(String label, String protocol, InetAddress destination, int port, String ifname,
                          boolean inbound, boolean ipv6) {
        /** IPv4 traffic. */
        public Traffic(String label, String protocol, InetAddress destination, int port, String ifname, boolean inbound) {
            this(label, protocol, destination, port, ifname, inbound, false);
        }
    }

    /** The judgement, with the rules that decided it (evidence) and the fix. */
    public record Judgement(Verdict verdict, String evidence, String fix) {
    }

    private static final Map<String, String> PROTOCOL_NUMBERS = Map.of("112", "vrrp", "17", "udp", "6", "tcp",
            "132", "sctp", "1", "icmp", "58", "ipv6-icmp", "4", "ipencap");

    static String protocolName(String p) {
        String l = p.toLowerCase(Locale.ROOT);
        return PROTOCOL_NUMBERS.getOrDefault(l, l.equals("all") ? "all" : l);
    }

    // ---- judging ----

    /** Judges {@code t} against {@code rules}: which base chains it crosses, and what their rules do with it. */
    public static Judgement judge(Ruleset rules, Traffic t) {
        List<String> evidence = new ArrayList<>();
        Verdict worst = Verdict.OK;
        int chains = 0;
        for (Chain c : rules.chains()) {
            if (!crosses(c, t)) {
                continue;
            }
            chains++;
            Judgement j = judgeChain(c, t);
            if (j.verdict() != Verdict.OK) {
                evidence.add(j.evidence());
            }
            worst = worse(worst, j.verdict());
        }
        String where = rules.source() + ", " + chains + " chain(s) on the " + (t.inbound() ? "input" : "output") + " path";
        if (worst == Verdict.OK) {
            return new Judgement(Verdict.OK, t.label() + ": no rule or policy drops it (" + where + ")", null);
        }
        String fix = worst == Verdict.UNDETERMINED
                ? "make sure " + t.label() + " is accepted before any rule that may drop it, e.g. " + acceptRule(t)
                : "accept it ahead of the rule that drops it, e.g. " + acceptRule(t);
        return new Judgement(worst, t.label() + ": " + String.join("; ", evidence) + " (" + where + ")", fix);
    }

    /** Whether {@code t} passes through chain {@code c}: its hook, its family, its device. */
    static boolean crosses(Chain c, Traffic t) {
        String f = c.family();
        if (f.equals("bridge") || f.equals("arp") || f.equals("ip") && t.ipv6() || f.equals("ip6") && !t.ipv6()) {
            return false; // bridged or ARP traffic, or the other family's
        }
        String h = c.hook();
        if (h.equals("ingress") || h.equals("egress")) {
            return (h.equals("ingress") == t.inbound()) && (c.device() == null || ifMatches(c.device(), t.ifname()));
        }
        return t.inbound() ? h.equals("input") || h.equals("prerouting") : h.equals("output") || h.equals("postrouting");
    }

    static String acceptRule(Traffic t) {
        StringBuilder b = new StringBuilder("nft insert rule inet filter " + (t.inbound() ? "input iifname " : "output oifname ")
                + t.ifname());
        if (t.protocol().equals("vrrp")) {
            b.append(" ip protocol vrrp");
        } else {
            b.append(" udp dport ").append(t.port());
        }
        return b.append(" accept").toString();
    }

    private static Verdict worse(Verdict a, Verdict b) {
        return rank(b) > rank(a) ? b : a;
    }

    private static int rank(Verdict v) {
        switch (v) {
            case FAIL:
                return 3;
            case UNDETERMINED:
                return 2;
            case WARN:
                return 1;
            default:
                return 0;
        }
    }

    private enum Match { EXPLICIT, ALL, CONDITIONAL, NO, UNKNOWN }

    /**
     * The first rule that names the traffic decides, unless a rule before it could have decided otherwise without
     * naming it (a jump, a rule with conditions not judged here): then the verdict is undetermined.
     */
    static Judgement judgeChain(Chain c, Traffic t) {
        String mayAccept = null; // an earlier rule that could accept it: a later drop is not certain
        String mayDrop = null;   // an earlier rule that could drop it: a later accept is not certain
        String conditionalDrop = null;
        for (Rule r : c.rules()) {
            Match m = match(r, t);
            if (m == Match.NO || r.action() == Action.NONE) {
                continue;
            }
            boolean certain = m == Match.EXPLICIT || m == Match.ALL;
            if (certain && r.action() == Action.ACCEPT) {
                if (mayDrop != null) {
                    return new Judgement(Verdict.UNDETERMINED, c.name() + ": accepted by '" + r.text() + "', but an earlier"
                            + " rule that could not be judged may drop it first: '" + mayDrop + "'", null);
                }
                if (conditionalDrop != null) {
                    return new Judgement(Verdict.WARN, c.name() + ": dropped under conditions by '" + conditionalDrop
                            + "' before '" + r.text() + "' accepts it", null);
                }
                return new Judgement(Verdict.OK, c.name() + ": accepted by '" + r.text() + "'", null);
            }
            if (certain && r.action() == Action.DROP) {
                if (mayAccept != null) {
                    return new Judgement(Verdict.UNDETERMINED, c.name() + ": dropped by '" + r.text() + "' unless an"
                            + " earlier rule that could not be judged accepts it first: '" + mayAccept + "'", null);
                }
                return new Judgement(Verdict.FAIL, c.name() + ": dropped by '" + r.text() + "'", null);
            }
            if (m == Match.CONDITIONAL && r.action() == Action.DROP) {
                conditionalDrop = conditionalDrop == null ? r.text() : conditionalDrop;
                continue;
            }
            // Not judged: an unknown match, a conditional accept, or a jump / goto / queue / vmap.
            if (r.action() != Action.DROP && mayAccept == null) {
                mayAccept = r.text();
            }
            if (r.action() != Action.ACCEPT && m != Match.CONDITIONAL && mayDrop == null) {
                mayDrop = r.text();
            }
        }
        if (c.dropPolicy()) {
            return mayAccept != null
                    ? new Judgement(Verdict.UNDETERMINED, c.name() + ": policy drop, and a rule that could not be judged may"
                            + " accept it: '" + mayAccept + "'", null)
                    : new Judgement(Verdict.FAIL, c.name() + ": policy drop and no rule accepts it", null);
        }
        if (mayDrop != null) {
            return new Judgement(Verdict.UNDETERMINED, c.name() + ": a rule that may drop it could not be judged: '"
                    + mayDrop + "'", null);
        }
        if (conditionalDrop != null) {
            return new Judgement(Verdict.WARN, c.name() + ": dropped under conditions by '" + conditionalDrop + "'", null);
        }
        return new Judgement(Verdict.OK, c.name() + ": nothing drops it", null);
    }

    private static Match match(Rule r, Traffic t) {
        if (r.family() != null && r.family().equals("ip") == t.ipv6()) {
            return Match.NO; // an IPv4-only rule and IPv6 traffic, or the reverse
        }
        String ifname = t.inbound() ? r.iif() : r.oif();
        if (ifname != null && !ifMatches(ifname, t.ifname())) {
            return Match.NO;
        }
        if ((t.inbound() ? r.oif() : r.iif()) != null) {
            return Match.NO; // an output interface on the input path, or the reverse: never matches
        }
        boolean explicit = false;
        if (!r.protocols().isEmpty()) {
            boolean in = r.protocols().stream().map(Firewall::protocolName).anyMatch(p -> p.equals(t.protocol()) || p.equals("all"));
            if (r.protocolNegated()) {
                if (in) {
                    return Match.NO;
                }
            } else if (!in) {
                return Match.NO;
            } else {
                explicit = true;
            }
        }
        if (!r.dports().isEmpty()) {
            if (t.port() == 0 || !r.dports().contains(t.port())) {
                return Match.NO;
            }
            explicit = true;
        }
        if (!r.daddrs().isEmpty()) {
            if (t.destination() == null) {
                return Match.UNKNOWN; // unicast to one of this host's addresses: which one is not known here
            }
            if (r.daddrs().stream().noneMatch(p -> p.contains(t.destination()))) {
                return Match.NO;
            }
            explicit = true;
        }
        if (r.otherConditions()) {
            return explicit ? Match.CONDITIONAL : Match.UNKNOWN;
        }
        return explicit ? Match.EXPLICIT : Match.ALL;
    }

    /** iptables' and nft's interface wildcards: a trailing {@code +} or {@code *} matches any suffix. */
    static boolean ifMatches(String pattern, String ifname) {
        if (pattern.endsWith("+") || pattern.endsWith("*")) {
            return ifname.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return pattern.equals(ifname);
    }

    /** A rule being read: what each parser fills in as it goes through the rule's words or expressions. */
    private static final class Draft {
        String iif;
        String oif;
        final List<String> protocols = new ArrayList<>();
        boolean negated;
        final List<IpPrefix> daddrs = new ArrayList<>();
        final List<Integer> dports = new ArrayList<>();
        boolean other;
        Action action = Action.NONE;
        String family;

        Rule rule(String text) {
            return new Rule(text, iif, oif, protocols, negated, daddrs, dports, other, action, family);
        }
    }

    // ---- iptables-save ----

    private static final Set<String> IPTABLES_BASE = Set.of("INPUT", "OUTPUT", "PREROUTING", "POSTROUTING");

    /** Parses {@code iptables-save} (and {@code ip6tables-save}) output. */
    public static Ruleset parseIptablesSave(String source, String text) {
        Map<String, String> policies = new LinkedHashMap<>();
        Map<String, List<Rule>> rules = new LinkedHashMap<>();
        String table = "filter";
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("*")) {
                table = line.substring(1);
            } else if (line.startsWith(":")) {
                String[] f = line.substring(1).split("\\s+");
                if (f.length >= 2 && IPTABLES_BASE.contains(f[0])) {
                    policies.put(table + " " + f[0], f[1]);
                    rules.putIfAbsent(table + " " + f[0], new ArrayList<>());
                }
            } else if (line.startsWith("-A ")) {
                String[] w = words(line);
                String key = table + " " + w[1];
                if (rules.containsKey(key)) {
                    rules.get(key).add(iptablesRule(line, w));
                }
            }
        }
        List<Chain> chains = new ArrayList<>();
        rules.forEach((k, v) -> {
            String chain = k.substring(k.indexOf(' ') + 1);
            chains.add(new Chain(source + " " + k, chain.toLowerCase(Locale.ROOT), source.startsWith("ip6") ? "ip6" : "ip",
                    null, "DROP".equals(policies.get(k)), v));
        });
        return new Ruleset(source, chains);
    }

    private static Rule iptablesRule(String line, String[] w) {
        Draft d = new Draft();
        boolean not = false;
        for (int i = 2; i < w.length; i++) {
            String a = w[i];
            String next = i + 1 < w.length ? w[i + 1] : "";
            switch (a) {
                case "!":
                    not = true;
                    continue;
                case "-i":
                case "--in-interface":
                    if (not) {
                        d.other = true;
                    } else {
                        d.iif = next;
                    }
                    i++;
                    break;
                case "-o":
                case "--out-interface":
                    if (not) {
                        d.other = true;
                    } else {
                        d.oif = next;
                    }
                    i++;
                    break;
                case "-p":
                case "--protocol":
                    d.protocols.add(next);
                    d.negated = not;
                    i++;
                    break;
                case "-d":
                case "--destination":
                    if (not) {
                        d.other = true;
                    } else {
                        for (String addr : next.split(",")) {
                            IpPrefix p = prefix(addr);
                            if (p == null) {
                                d.other = true;
                            } else {
                                d.daddrs.add(p);
                            }
                        }
                    }
                    i++;
                    break;
                case "--dport":
                case "--destination-port":
                case "--dports":
                case "--destination-ports":
                    if (not) {
                        d.other = true;
                    } else {
                        for (String p : next.split(",")) {
                            if (p.matches("\\d+")) {
                                d.dports.add(Integer.parseInt(p));
                            } else {
                                d.other = true; // a range or a service name
                            }
                        }
                    }
                    i++;
                    break;
                case "-m":
                case "--match":
                    // A match module: its own options follow and are judged one by one.
                    i++;
                    break;
                case "-j":
                case "--jump":
                    d.action = "ACCEPT".equals(next) ? Action.ACCEPT
                            : "DROP".equals(next) || "REJECT".equals(next) ? Action.DROP
                            : Set.of("LOG", "NFLOG", "ULOG", "NOTRACK", "CT", "MARK", "CONNMARK", "TRACE").contains(next)
                            ? Action.NONE : Action.OTHER;
                    i = w.length;
                    break;
                case "-g":
                case "--goto":
                    d.action = Action.OTHER;
                    i = w.length;
                    break;
                case "-c":
                    i += 2;
                    break;
                case "--comment":
                    i++; // a comment decides nothing
                    break;
                default:
                    if (a.startsWith("-")) {
                        d.other = true;
                        // skip the option's argument(s)
                        while (i + 1 < w.length && !w[i + 1].startsWith("-") && !w[i + 1].equals("!")) {
                            i++;
                        }
                    }
            }
            not = false;
        }
        return d.rule(line);
    }

    /** An iptables-save line's words: split at spaces, a double-quoted word whole ({@code \"} inside it kept). */
    static String[] words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted && ch == '\\' && i + 1 < line.length()) {
                w.append(line.charAt(++i));
            } else if (ch == '"') {
                quoted = !quoted;
                any = true;
            } else if (!quoted && Character.isWhitespace(ch)) {
                if (any || w.length() > 0) {
                    out.add(w.toString());
                    w.setLength(0);
                    any = false;
                }
            } else {
                w.append(ch);
            }
        }
        if (any || w.length() > 0) {
            out.add(w.toString());
        }
        return out.toArray(new String[0]);
    }

    private static IpPrefix prefix(String text) {
        try {
            int slash = text.indexOf('/');
            InetAddress a = IpAddresses.parse(slash < 0 ? text : text.substring(0, slash));
            int bits = slash < 0 ? IpAddresses.family(a).bits() : Integer.parseInt(text.substring(slash + 1));
            return new IpPrefix(a, bits);
        } catch (RuntimeException e) {
            return null; // a dotted netmask, a host name: not judged
        }
    }

    // ---- nft -j list ruleset ----

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Parses {@code nft -j list ruleset} output (libnftables-json(5)). */
    public static Ruleset parseNftJson(String json) throws IOException {
        JsonNode root = JSON.readTree(json);
        JsonNode items = root.path("nftables");
        Map<String, Chain> chains = new LinkedHashMap<>();
        Map<String, List<Rule>> rules = new LinkedHashMap<>();
        for (JsonNode item : items) {
            JsonNode c = item.get("chain");
            if (c != null && c.hasNonNull("hook")) {
                String key = c.path("family").asText() + " " + c.path("table").asText() + " " + c.path("name").asText();
                chains.put(key, new Chain("nft " + key, c.path("hook").asText(), c.path("family").asText(),
                        c.hasNonNull("dev") ? c.path("dev").asText() : null, "drop".equals(c.path("policy").asText()), List.of()));
                rules.put(key, new ArrayList<>());
            }
        }
        for (JsonNode item : items) {
            JsonNode r = item.get("rule");
            if (r == null) {
                continue;
            }
            String family = r.path("family").asText();
            String key = family + " " + r.path("table").asText() + " " + r.path("chain").asText();
            List<Rule> list = rules.get(key);
            if (list != null && (family.equals("ip") || family.equals("ip6") || family.equals("inet")
                    || family.equals("bridge") || family.equals("netdev"))) {
                list.add(nftRule(r));
            }
        }
        List<Chain> out = new ArrayList<>();
        chains.forEach((k, c) -> out.add(new Chain(c.name(), c.hook(), c.family(), c.device(), c.dropPolicy(), rules.get(k))));
        return new Ruleset("nft", out);
    }

    private static Rule nftRule(JsonNode r) {
        Draft d = new Draft();
        List<String> text = new ArrayList<>();
        for (JsonNode e : r.path("expr")) {
            String kind = e.fieldNames().hasNext() ? e.fieldNames().next() : "";
            JsonNode v = e.get(kind);
            switch (kind) {
                case "match": {
                    String op = v.path("op").asText("==");
                    JsonNode left = v.path("left");
                    List<String> right = values(v.path("right"));
                    String what = left.has("payload")
                            ? left.path("payload").path("protocol").asText() + " " + left.path("payload").path("field").asText()
                            : left.has("meta") ? "meta " + left.path("meta").path("key").asText() : left.toString();
                    text.add(what + (op.equals("==") || op.equals("in") ? " " : " " + op + " ")
                            + (right == null ? v.path("right").toString() : String.join(",", right)));
                    boolean eq = op.equals("==") || op.equals("in");
                    boolean ne = op.equals("!=");
                    if (what.startsWith("ip ")) {
                        d.family = "ip"; // a payload of the IPv4 header: only IPv4 packets match
                    } else if (what.startsWith("ip6 ")) {
                        d.family = "ip6";
                    }
                    if ((what.equals("ip protocol") || what.equals("ip6 nexthdr") || what.equals("meta l4proto"))
                            && (eq || ne) && right != null && d.protocols.isEmpty()) {
                        d.protocols.addAll(right);
                        d.negated = ne;
                    } else if ((what.equals("ip daddr") || what.equals("ip6 daddr")) && eq && right != null) {
                        for (String addr : right) {
                            IpPrefix p = prefix(addr);
                            if (p == null) {
                                d.other = true;
                            } else {
                                d.daddrs.add(p);
                            }
                        }
                    } else if ((what.equals("udp dport") || what.equals("th dport")) && eq && right != null
                            && right.stream().allMatch(s -> s.matches("\\d+")) && !d.negated) {
                        if (what.equals("udp dport")) {
                            d.protocols.add("udp");
                        }
                        right.forEach(s -> d.dports.add(Integer.parseInt(s)));
                    } else if ((what.equals("tcp dport") || what.equals("sctp dport")) && eq) {
                        d.protocols.add(what.substring(0, what.indexOf(' ')));
                    } else if (what.equals("meta iifname") && eq && right != null && right.size() == 1) {
                        d.iif = right.get(0);
                    } else if (what.equals("meta oifname") && eq && right != null && right.size() == 1) {
                        d.oif = right.get(0);
                    } else if ((what.equals("meta nfproto") || what.equals("meta protocol")) && eq && right != null
                            && right.size() == 1 && (right.get(0).equals("ipv4") || right.get(0).equals("ip")
                            || right.get(0).equals("ipv6") || right.get(0).equals("ip6"))) {
                        d.family = right.get(0).startsWith("ipv6") || right.get(0).equals("ip6") ? "ip6" : "ip";
                    } else {
                        d.other = true;
                    }
                    break;
                }
                case "accept":
                    d.action = Action.ACCEPT;
                    text.add("accept");
                    break;
                case "drop":
                case "reject":
                    d.action = Action.DROP;
                    text.add(kind);
                    break;
                case "jump":
                case "goto":
                case "queue":
                case "vmap":
                case "return":
                case "continue":
                    d.action = Action.OTHER;
                    text.add(kind + " " + v.path("target").asText());
                    break;
                case "counter":
                case "log":
                case "comment":
                case "notrack":
                    break;
                default:
                    d.other = true;
                    text.add(kind);
            }
        }
        return d.rule(String.join(" ", text));
    }

    /** The right-hand side of a match: a value, a set of values, or a prefix; {@code null} for anything else. */
    private static List<String> values(JsonNode right) {
        List<String> out = new ArrayList<>();
        if (right.isValueNode()) {
            if (right.isTextual() && right.asText().startsWith("@")) {
                return null; // a named set: its members are not read here
            }
            out.add(right.asText());
        } else if (right.has("set")) {
            for (JsonNode n : right.get("set")) {
                List<String> one = values(n);
                if (one == null) {
                    return null;
                }
                out.addAll(one);
            }
        } else if (right.has("prefix")) {
            out.add(right.path("prefix").path("addr").asText() + "/" + right.path("prefix").path("len").asInt());
        } else {
            return null;
        }
        return out;
    }
}
