package io.lvsd.controller.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.lvsd.testkit.Fuzz;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration loader and binder, {@link Fuzz#TRIES} generated files per property: random trees of the keys the
 * shipped configurations, the reference.conf files and the binder know (some misspelt or out of place) with values of
 * every type; the shipped configurations (etc/lvsd.conf and the examples) with values replaced by another type or an
 * out-of-range number, keys removed, unknown keys added, deep in lists too; and the shipped configurations with edits
 * that change nothing (a default written out, a number quoted, 1s as 1000ms, a value repeated, virtual servers added
 * with +=, a section moved to an include, comments, JSON). Every file loads to a configuration or to errors that each
 * name the file, a line in it and a key path, never an exception or a stack trace, and a rejected file leaves nothing
 * behind; the no-op edits bind equal to the file as shipped.
 */
class ConfigBinderPropertyTest {
    @TempDir
    Path dir;

    /** The root of a generated tree, and of the key vocabulary. */
    static final String ROOT = "";

    /** Objects whose keys are names the operator chooses: their members share one schema, {@code instances.*}. */
    static final Set<String> MAPS = Set.of("instances", "track-scripts", "sync-groups");

    /** reference.conf's templates, and where the operator writes what they hold. */
    static final Map<String, String> TEMPLATES = Map.of("vrrp-instance", "instances.*", "track-script",
            "track-scripts.*", "virtual-server", "virtual-servers", "real-server", "real-servers", "check", "check",
            "check-http", "http", "check-udp", "udp", "check-dns", "dns", "check-script", "script", "check-agent",
            "agent");

    /** Every key the binder reads somewhere, for keys written in the wrong place. */
    static final String[] BINDER_KEYS = ("address addresses admin advert-interval allow-remote alpha answer authentication "
            + "body-regex check checksum command connect-address connect-port control-socket control-socket-group "
            + "defaults delay digest director down drain-timeout drift-check-interval dynamic engine fall family "
            + "files follow forwarding fwmark garp gateway group host hysteresis instances interface interfaces interval ipvs "
            + "listen load-full lower-threshold max-bytes max-concurrent max-connections max-weight maxlen method "
            + "min-weight name netmask notify on-failure one-packet password path payload payload-hex persistence "
            + "port preempt preempt-delay preempt-wait priority protocol quorum real-servers refresh refresh-repeat "
            + "repeat reports request-timeout retries retry-delay rise scheduler scheduler-flags scripts smoothing "
            + "sni sorry-server source-address source-port state-directory status sync-daemon sync-groups sync-id "
            + "through-vip timeout timeouts token-file track track-scripts ttl tunnel type unicast-min-ttl unicast-peers "
            + "unicast-peers-check up upper-threshold user v3-checksum-pseudo-header version virtual-addresses "
            + "virtual-router-id virtual-servers vrrp warmup weight").split(" ");

    static final String[] TOKENS = {"", " ", "0", "-1", "65536", "4294967296", "1s", "0s", "-5s", "10ms", "2h",
            "1.5s", "rr", "wlc", "mh", "nat", "dr", "tun", "udp", "tcp", "http", "script", "dns", "agent", "true",
            "yes", "off", "false", "null", "10.0.0.1", "10.0.0.1:80", "192.168.1.110:80", "[::1]:80", "::1", "fe80::1",
            "10.0.0.0/33", "192.168.1.110/24", "eth0", "eth1", "VI_1", "VI_INSIDE", "web", "/bin/true", "/", "é",
            "a b", "${x}", "sha256:00", "200-299", "999-100", "[", "\"", "\\", "\n", "lvsd-script", "root"};

    static final Number[] NUMBERS = {0, 1, -1, 255, 256, 4095, 4096, 65535, 65536, Integer.MAX_VALUE,
            Integer.MIN_VALUE, 4294967296L, Long.MAX_VALUE, Long.MIN_VALUE, 0.5, -0.0, 1e100, Double.MIN_VALUE};

    /** The shipped configurations, as files and as parsed trees. */
    static List<Path> shippedFiles;
    static List<Config> shipped;

    /** Schema name (a key, or {@code instances.*}) to the keys seen under it. */
    static final Map<String, Set<String>> children = new TreeMap<>();
    /** Schema name to the values seen there. */
    static final Map<String, List<ConfigValue>> samples = new TreeMap<>();
    /** Schemas that hold a list of objects: {@code virtual-servers}, {@code real-servers}, track interfaces. */
    static final Set<String> objectLists = new TreeSet<>();

    @BeforeAll
    static void vocabulary() throws Exception {
        shippedFiles = ShippedConfigsTest.shipped().toList();
        shipped = new ArrayList<>();
        for (Path p : shippedFiles) {
            Config c = ConfigFactory.parseFile(p.toFile());
            shipped.add(c);
            learn(c.root(), ROOT);
        }
        reference = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf");
        learn(reference.root(), ROOT);
    }

    /** The schema of {@code key} inside an object of schema {@code parent}. */
    static String schema(String parent, String key) {
        if (parent.equals("defaults") && TEMPLATES.containsKey(key)) {
            return TEMPLATES.get(key);
        }
        return MAPS.contains(parent) ? parent + ".*" : key;
    }

    static void learn(ConfigValue v, String schema) {
        if (v instanceof ConfigObject o) {
            for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
                children.computeIfAbsent(schema, k -> new TreeSet<>()).add(e.getKey());
                learn(e.getValue(), schema(schema, e.getKey()));
            }
            return;
        }
        samples.computeIfAbsent(schema, k -> new ArrayList<>()).add(v);
        if (v instanceof ConfigList l) {
            for (ConfigValue e : l) {
                if (e instanceof ConfigObject) {
                    objectLists.add(schema);
                    learn(e, schema);
                }
            }
        }
    }

    // ---- generators

    /** A scalar, a list or an object of any type, with boundary numbers and tokens that mean something here. */
    static Object anyValue(Random r, int depth) {
        return switch (r.intRange(0, depth > 2 ? 5 : 7)) {
            case 0 -> r.oneOf(TOKENS);
            case 1 -> r.oneOf(NUMBERS);
            case 2 -> r.intRange(-100_000, 100_000);
            case 3 -> r.trueOrFalse();
            case 4 -> null;
            case 5 -> r.alphanumeric(r.intRange(0, 12));
            case 6 -> {
                List<Object> l = new ArrayList<>();
                for (int i = r.intRange(0, 3); i > 0; i--) {
                    l.add(anyValue(r, depth + 1));
                }
                yield l;
            }
            default -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = r.intRange(0, 3); i > 0; i--) {
                    m.put(r.oneOf(BINDER_KEYS), anyValue(r, depth + 1));
                }
                yield m;
            }
        };
    }

    /** {@code key} with one typo: a letter dropped, doubled or changed, two swapped, '-' as '_', or upper case. */
    static String misspelt(Random r, String key) {
        if (key.isEmpty()) {
            return "x";
        }
        int i = r.intRange(0, key.length() - 1);
        return switch (r.intRange(0, 5)) {
            case 0 -> key.substring(0, i) + key.substring(i + 1);
            case 1 -> key.substring(0, i) + key.charAt(i) + key.substring(i);
            case 2 -> key.substring(0, i) + r.lowerCaseCharacter() + key.substring(i + 1);
            case 3 -> i + 1 < key.length() ? key.substring(0, i) + key.charAt(i + 1) + key.charAt(i)
                    + key.substring(i + 2) : key + "s";
            case 4 -> key.replace('-', '_') + (key.contains("-") ? "" : "_");
            default -> key.toUpperCase(java.util.Locale.ROOT);
        };
    }

    /** Keys an error's path must quote. */
    static final String[] ODD_KEYS = {"", " ", "a.b", "VI.1", "x y", "é", "\"q\"", "a\\b", "[0]", "$x", "#"};

    static String key(Random r, String schema) {
        List<String> known = new ArrayList<>(children.getOrDefault(schema, Set.of()));
        int pick = r.intRange(0, 23);
        if (pick == 23) {
            return r.oneOf(ODD_KEYS);
        }
        if (known.isEmpty() || pick == 0) {
            return MAPS.contains(schema) ? "VI_" + r.alphanumeric(r.intRange(0, 3)) : r.oneOf(BINDER_KEYS);
        }
        if (pick <= 2) {
            return misspelt(r, r.oneOf(known));
        }
        if (pick <= 4) {
            return r.oneOf(BINDER_KEYS);
        }
        return r.oneOf(known);
    }

    static Map<String, Object> object(Random r, String schema, int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = r.intRange(0, schema.equals(ROOT) ? 7 : 5); i > 0; i--) {
            String k = key(r, schema);
            m.put(k, value(r, schema(schema, k), depth + 1));
        }
        return m;
    }

    /** Mostly the shape the schema wants (an object, a list of objects, a value seen there); else anything. */
    static Object value(Random r, String schema, int depth) {
        int pick = r.intRange(0, 9);
        if (depth < 7 && pick < 5) {
            if (objectLists.contains(schema)) {
                List<Object> l = new ArrayList<>();
                for (int i = r.intRange(0, 3); i > 0; i--) {
                    l.add(object(r, schema, depth));
                }
                return l;
            }
            if (children.containsKey(schema)) {
                return object(r, schema, depth);
            }
        }
        List<ConfigValue> seen = samples.get(schema);
        if (seen != null && pick < 8) {
            return r.oneOf(seen).unwrapped();
        }
        return anyValue(r, depth);
    }

    static final ConfigRenderOptions HOCON = ConfigRenderOptions.defaults().setOriginComments(false)
            .setComments(false).setJson(false);

    /** (a) A random tree of lvsd's keys, rendered as HOCON text. */
    static final Generator<String> TREES = r -> ConfigValueFactory.fromMap(object(r, ROOT, 0)).render(HOCON);

    static Config reference;

    /**
     * The template merged under the objects of {@code schema}, or null: {@code defaults.NAME} of {@code defaults} (the
     * configuration over reference.conf, since the operator's file may override the templates).
     */
    static ConfigObject template(Config defaults, String schema) {
        for (Map.Entry<String, String> e : TEMPLATES.entrySet()) {
            if (e.getValue().equals(schema)) { // an edit may have made defaults something else than an object
                return defaults.root().get("defaults") instanceof ConfigObject d
                        && d.get(e.getKey()) instanceof ConfigObject t ? t : null;
            }
        }
        return null;
    }

    /** What the defaults give under {@code key} of an object whose template is {@code parent}. */
    static ConfigObject template(Config defaults, String schema, ConfigObject parent, String key) {
        ConfigObject t = template(defaults, schema);
        if (t != null) {
            return t;
        }
        return parent != null && parent.get(key) instanceof ConfigObject o ? o : null;
    }

    /** One change to a place in a tree, knowing what the place is; null removes it. */
    interface Edit {
        ConfigValue apply(Random r, ConfigValue v, String schema, ConfigObject template);
    }

    /** The number of places in {@code v}: itself, every object member and every list element, deep. */
    static int places(ConfigValue v) {
        int n = 1;
        if (v instanceof ConfigObject o) {
            for (ConfigValue c : o.values()) {
                n += places(c);
            }
        } else if (v instanceof ConfigList l) {
            for (ConfigValue c : l) {
                n += places(c);
            }
        }
        return n;
    }

    /**
     * {@code v} rebuilt with its k-th place (in pre-order, keys sorted; {@code v} itself is 0) replaced by what
     * {@code edit} makes of it. Places inside lists of objects (virtual servers, real servers) are reached too.
     */
    static final class Rewrite {
        final Random r;
        final Edit edit;
        final Config defaults;
        int k;

        Rewrite(Random r, Edit edit, Config defaults, int k) {
            this.r = r;
            this.edit = edit;
            this.defaults = defaults;
            this.k = k;
        }

        ConfigValue visit(ConfigValue v, String schema, ConfigObject template) {
            if (k-- == 0) {
                return edit.apply(r, v, schema, template);
            }
            if (v instanceof ConfigObject o) {
                ConfigObject out = o;
                for (String key : new TreeSet<>(o.keySet())) {
                    if (k < 0) {
                        break;
                    }
                    String s = schema(schema, key);
                    ConfigValue c = o.get(key);
                    ConfigValue c2 = visit(c, s, template(defaults, s, template, key));
                    if (c2 != c) {
                        out = c2 == null ? out.withoutKey(key) : out.withValue(key, c2);
                    }
                }
                return out;
            }
            if (v instanceof ConfigList l) {
                List<ConfigValue> out = new ArrayList<>();
                boolean changed = false;
                for (ConfigValue c : l) {
                    ConfigValue c2 = k < 0 ? c : visit(c, schema, template);
                    changed |= c2 != c;
                    if (c2 != null) {
                        out.add(c2);
                    }
                }
                return changed ? ConfigValueFactory.fromIterable(out) : l;
            }
            return v;
        }
    }

    /** {@code root} with {@code edit} applied at a random place below the root. */
    static ConfigObject rewrite(Random r, ConfigObject root, Edit edit) {
        int n = places(root);
        Config defaults = root.toConfig().withFallback(reference);
        ConfigValue out = new Rewrite(r, edit, defaults, r.intRange(0, n - 1)).visit(root, ROOT, defaults.root());
        return out instanceof ConfigObject o ? o : root; // a file is an object
    }

    /** A value of another type than {@code old}, or a number out of every range. */
    static ConfigValue otherValue(Random r, ConfigValue old) {
        for (;;) {
            ConfigValue v = ConfigValueFactory.fromAnyRef(r.intRange(0, 2) == 0 ? r.oneOf(NUMBERS) : anyValue(r, 0));
            if (old == null || v.valueType() != old.valueType() || v.valueType() == ConfigValueType.NUMBER) {
                return v;
            }
        }
    }

    /** An edit that may well make the configuration wrong. */
    static final Edit BREAK = (r, v, schema, template) -> {
        int pick = r.intRange(0, 5);
        if (v instanceof ConfigObject o && pick >= 3) {
            List<String> known = new ArrayList<>(new TreeSet<>(o.keySet()));
            if (template != null) {
                known.addAll(new TreeSet<>(template.keySet()));
            }
            String key = switch (pick) {
                case 3 -> known.isEmpty() ? "bogus" : misspelt(r, r.oneOf(known)); // often a near miss
                case 4 -> known.isEmpty() ? "bogus" : r.oneOf(known); // reaches keys the shipped files leave out
                default -> "bogus-" + r.lowerCaseAlphabetic(3);
            };
            Object value = r.trueOrFalse() ? value(r, schema(schema, key), 1) : anyValue(r, 0);
            return o.withValue(key, ConfigValueFactory.fromAnyRef(value));
        }
        return switch (pick) {
            case 0 -> null;
            case 1 -> ConfigValueFactory.fromAnyRef(r.oneOf(NUMBERS));
            default -> otherValue(r, v);
        };
    };

    /** (b) A shipped configuration with 1 to 4 edits, each of which may make it wrong, as HOCON text. */
    static final Generator<String> MUTATED = r -> {
        ConfigObject c = r.oneOf(shipped).root();
        for (int e = r.intRange(1, 4); e > 0; e--) {
            c = rewrite(r, c, BREAK);
        }
        return c.render(HOCON);
    };

    /**
     * Keys a server takes as a choice when it sets them itself, even to the default: its own {@code tunnel} or
     * {@code family} is an error beside {@code forwarding = dr} or an {@code address}.
     */
    static final Set<String> CONTEXTUAL = Set.of("tunnel", "family");

    static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    /** The same value written another way, as HOCON and the binder allow; {@code v} itself when there is none. */
    static ConfigValue respelt(Random r, ConfigValue v) {
        Object u = v.unwrapped();
        if (u instanceof Integer || u instanceof Long) {
            return ConfigValueFactory.fromAnyRef(r.oneOf(" ", "") + u + r.oneOf(" ", "")); // ${ENV} gives strings
        }
        if (u instanceof Boolean b) {
            return ConfigValueFactory.fromAnyRef(b ? r.oneOf("true", "yes", "on") : r.oneOf("false", "no", "off"));
        }
        java.util.regex.Matcher m = u instanceof String str ? DURATION.matcher(str) : null;
        if (m != null && m.matches()) {
            long n = Long.parseLong(m.group(1));
            long ms = n * switch (m.group(2)) {
                case "ms" -> 1L;
                case "s" -> 1000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                default -> 86_400_000L;
            };
            return ConfigValueFactory.fromAnyRef(switch (r.intRange(0, 3)) {
                case 0 -> (Object) ms; // a bare number is milliseconds
                case 1 -> ms + "ms";
                case 2 -> ms + " milliseconds";
                default -> n + " " + m.group(2);
            });
        }
        return v;
    }

    /** An edit that changes nothing the binder sees: a default written out, a value spelt another way. */
    static final Edit SAME = (r, v, schema, template) -> {
        if (v instanceof ConfigObject o) {
            if (template == null) {
                return v;
            }
            List<String> absent = new TreeSet<>(template.keySet()).stream()
                    .filter(k -> !o.containsKey(k) && !CONTEXTUAL.contains(k)).toList();
            if (absent.isEmpty()) {
                return v;
            }
            String k = r.oneOf(absent);
            return o.withValue(k, template.get(k));
        }
        return v instanceof ConfigList ? v : respelt(r, v);
    };

    /** A shipped configuration (by index) edited without changing what it means: the main file and an include. */
    record Unchanged(int seed, String main, String part) {
    }

    static final ConfigRenderOptions CONCISE = ConfigRenderOptions.concise();

    /** {@code lines} added to {@code text} at its start or end, inside the root braces when it has them. */
    static String insert(String text, List<String> lines, boolean atStart) {
        if (lines.isEmpty()) {
            return text;
        }
        String block = "\n" + String.join("\n", lines) + "\n";
        String t = text.strip();
        boolean braced = t.startsWith("{");
        if (atStart) {
            return braced ? "{" + block + t.substring(1) : block + text;
        }
        return braced ? t.substring(0, t.length() - 1) + block + "}" : text + block;
    }

    /** Comment lines and blank lines between the lines of {@code text}. */
    static String commented(Random r, String text) {
        List<String> lines = new ArrayList<>(text.lines().toList());
        for (int i = r.intRange(1, 3); i > 0; i--) {
            lines.add(r.intRange(0, lines.size()), r.oneOf("# " + r.alphanumeric(8), "// note", "", "  "));
        }
        return String.join("\n", lines) + "\n";
    }

    /** (c) A shipped configuration with 1 to 4 edits that change nothing it means, in one of several layouts. */
    static final Generator<Unchanged> UNCHANGED = r -> {
        int seed = r.intRange(0, shipped.size() - 1);
        ConfigObject c = shipped.get(seed).root();
        for (int e = r.intRange(1, 4); e > 0; e--) {
            for (int attempt = 0; attempt < 20; attempt++) {
                ConfigObject d = rewrite(r, c, SAME);
                if (d != c) { // a place SAME could change
                    c = d;
                    break;
                }
            }
        }
        List<String> head = new ArrayList<>();
        List<String> tail = new ArrayList<>();
        if (r.intRange(0, 3) == 0 && c.get("virtual-servers") instanceof ConfigList vs && !vs.isEmpty()) {
            // Drop-ins add virtual servers with +=, as etc/conf.d/README says.
            int keep = r.intRange(0, vs.size() - 1);
            c = c.withValue("virtual-servers", ConfigValueFactory.fromIterable(vs.subList(0, keep)));
            for (ConfigValue v : vs.subList(keep, vs.size())) {
                tail.add("virtual-servers += " + v.render(CONCISE));
            }
        }
        String part = null;
        if (r.intRange(0, 3) == 0) {
            List<String> keys = new TreeSet<>(c.keySet()).stream()
                    .filter(k -> tail.isEmpty() || !k.equals("virtual-servers")).toList();
            if (!keys.isEmpty()) {
                String k = r.oneOf(keys);
                part = ConfigFactory.empty().root().withValue(k, c.get(k)).render(HOCON);
                c = c.withoutKey(k);
                (r.trueOrFalse() ? head : tail).add(r.oneOf("include \"conf.d/*.conf\"",
                        "include \"conf.d/part.conf\"", "include file(\"conf.d/part.conf\")"));
            }
        }
        if (r.intRange(0, 2) == 0) { // a value repeated under its path: the later one wins, and is the same
            List<String> paths = new ArrayList<>();
            for (Map.Entry<String, ConfigValue> e : c.toConfig().entrySet()) {
                List<String> parts = ConfigUtil.splitPath(e.getKey());
                if (!parts.get(0).equals("virtual-servers")) {
                    paths.add(ConfigUtil.joinPath(parts.subList(0, r.intRange(1, parts.size()))));
                }
            }
            if (!paths.isEmpty()) {
                String p = r.oneOf(new TreeSet<>(paths).stream().toList());
                tail.add(p + " = " + c.toConfig().getValue(p).render(CONCISE));
            }
        }
        String text = c.render(r.oneOf(HOCON, CONCISE, ConfigRenderOptions.defaults().setOriginComments(false),
                HOCON.setFormatted(false)));
        text = insert(insert(text, head, true), tail, false);
        if (r.trueOrFalse()) {
            text = commented(r, text);
        }
        return new Unchanged(seed, text, part);
    };

    /** {@code c} as if read from {@code source}. */
    static LvsdConfig from(Path source, LvsdConfig c) {
        return new LvsdConfig(source, c.director(), c.admin(), c.scripts(), c.vrrp(), c.announce(), c.virtualServers(),
                c.syncDaemon(), c.ipvs(), c.throughVip(), c.routing());
    }

    // ---- the properties

    /** A key path: {@code vrrp.instances.VI_1.priority}, {@code virtual-servers[0].real-servers[1].address}. */
    static final Pattern KEY_PATH = Pattern.compile("(?:[A-Za-z0-9_-]+|\"(?:[^\"\\\\]|\\\\.)*\")"
            + "(?:\\[\\d+])*(?:\\.(?:[A-Za-z0-9_-]+|\"(?:[^\"\\\\]|\\\\.)*\")(?:\\[\\d+])*)*");

    static final class Tally {
        int bound;
        int rejected;
        int errors;
    }

    /** Loads {@code text} from {@code file} and checks the outcome: a configuration, or errors that say where. */
    static LoadResult loadAndCheck(Path file, String text, Tally tally) throws Exception {
        Files.writeString(file, text);
        LoadResult r = ConfigLoader.load(file);
        long lines = text.lines().count();
        assertThat(r.ok()).isEqualTo(r.errors().isEmpty());
        if (r.ok()) {
            assertThat(r.config().source()).isEqualTo(file);
            tally.bound++;
        } else {
            tally.rejected++;
            tally.errors += r.errors().size();
        }
        for (ConfigProblem p : r.errors()) {
            String f = p.format();
            assertThat(p.file()).as(f).isEqualTo(file.toString());
            assertThat(p.line()).as(f).isBetween(1, (int) Math.max(1, lines));
            assertThat(p.path()).as(f).matches(KEY_PATH);
            String first = p.path().startsWith("\"") ? p.path().replaceFirst("^(\"(?:[^\"\\\\]|\\\\.)*\").*", "$1")
                    : p.path().split("[.\\[]", 2)[0];
            if (!children.get(ROOT).contains(first)) { // then a key of the input, as Node.path writes it
                assertThat(ConfigFactory.parseString(text).root().keySet().stream()
                        .map(k -> k.matches("[A-Za-z0-9_-]+") ? k : ConfigUtil.quoteString(k))).as(f).contains(first);
            }
            assertThat(p.message()).as(f).isNotBlank();
            assertThat(f).as("no stack trace, no exception's name").startsWith(file + ":" + p.line() + ": " + p.path()
                    + ": ").doesNotContain("\tat ").doesNotContainIgnoringCase("exception")
                    .doesNotContain("com.typesafe").doesNotContain("java.");
        }
        return r;
    }

    @Test
    void randomTreesLoadOrNameFileLineAndKey() {
        Path file = dir.resolve("lvsd.conf");
        Tally tally = new Tally();
        TestConfigs.asPackaged(() -> {
            Fuzz.forAll(TREES, text -> loadAndCheck(file, text, tally));
            return null;
        });
        System.out.printf("random trees: %d bound, %d rejected with %d errors%n", tally.bound, tally.rejected,
                tally.errors);
        assertThat(tally.bound).as("some trees are valid").isGreaterThan(Fuzz.TRIES / 100);
        assertThat(tally.rejected).as("most trees are not").isGreaterThan(Fuzz.TRIES / 2);
    }

    @Test
    void editedShippedConfigsLoadOrNameFileLineAndKey() {
        Path file = dir.resolve("lvsd.conf");
        Path pristine = shippedFiles.get(0);
        Tally tally = new Tally();
        TestConfigs.asPackaged(() -> {
            LvsdConfig before = ConfigLoader.load(pristine).config();
            Fuzz.forAll(MUTATED, text -> {
                loadAndCheck(file, text, tally);
                if ((tally.bound + tally.rejected) % 16 == 0) { // a rejected file left nothing behind
                    assertThat(ConfigLoader.load(pristine).config()).isEqualTo(before);
                }
            });
            return null;
        });
        System.out.printf("edited shipped configs: %d bound, %d rejected with %d errors%n", tally.bound,
                tally.rejected, tally.errors);
        assertThat(tally.rejected).as("most edits break something").isGreaterThan(Fuzz.TRIES / 2);
    }

    @Test
    void shippedConfigsEditedWithoutChangingTheirMeaningBindEqual() throws Exception {
        Path file = dir.resolve("lvsd.conf");
        Path part = dir.resolve("conf.d/part.conf");
        Files.createDirectories(part.getParent());
        TestConfigs.asPackaged(() -> {
            List<LoadResult> base = shippedFiles.stream().map(ConfigLoader::load).toList();
            base.forEach(b -> assertThat(b.errors()).isEmpty());
            Fuzz.forAll(UNCHANGED, in -> {
                Files.writeString(file, in.main());
                if (in.part() != null) {
                    Files.writeString(part, in.part());
                } else {
                    Files.deleteIfExists(part);
                }
                LoadResult r = ConfigLoader.load(file);
                LoadResult b = base.get(in.seed());
                assertThat(r.errors()).isEmpty();
                assertThat(r.warnings().stream().map(w -> w.path() + ": " + w.message()).toList())
                        .isEqualTo(b.warnings().stream().map(w -> w.path() + ": " + w.message()).toList());
                assertThat(r.config()).isEqualTo(from(file, b.config()));
            });
            return null;
        });
    }
}
