package io.lvsd.controller.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import io.lvsd.linux.Spelling;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A configuration object being bound. Typed getters report a problem (with the value's file and
 * line) and return null instead of throwing, so binding goes on and finds every error; the keys
 * a binder reads are remembered, and {@link #finish()} reports every other key as unknown.
 */
final class Node {
    private static final ConfigRenderOptions CONCISE = ConfigRenderOptions.concise();

    private final ConfigObject obj;
    private final String path;
    private final Problems problems;
    private final Set<String> read = new LinkedHashSet<>();
    private final Map<String, String> misplaced = new LinkedHashMap<>();

    private final ConfigOrigin anchor;
    /** The operator's object when {@code obj} is it merged over a template; else null. */
    private final ConfigObject own;

    Node(ConfigObject obj, String path, Problems problems) {
        this(obj, path, problems, userOrigin(obj));
    }

    /**
     * @param anchor where problems about the object as a whole are reported: the operator's
     *               object, not its merge with a template
     */
    Node(ConfigObject obj, String path, Problems problems, ConfigOrigin anchor) {
        this(obj, path, problems, anchor, null);
    }

    /** @param own the operator's object, which {@code obj} is merged over a template */
    Node(ConfigObject obj, String path, Problems problems, ConfigOrigin anchor, ConfigObject own) {
        this.obj = obj;
        this.path = path;
        this.problems = problems;
        this.anchor = anchor;
        this.own = own;
    }

    String path() {
        return path;
    }

    String path(String key) {
        String k = quoted(key);
        return path.isEmpty() ? k : path + "." + k;
    }

    /** {@code key} as one element of a path: quoted unless plain, so {@code "a.b"} stays one key. */
    static String quoted(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : ConfigUtil.quoteString(key);
    }

    ConfigOrigin origin() {
        return anchor;
    }

    Problems problems() {
        return problems;
    }

    ConfigObject raw() {
        return obj;
    }

    /** The keys of this object, in the order they appear in the files. */
    List<String> keys() {
        List<String> keys = new ArrayList<>(obj.keySet());
        keys.sort(java.util.Comparator.comparing((String k) -> String.valueOf(obj.get(k).origin().filename()))
                .thenComparingInt(k -> obj.get(k).origin().lineNumber()).thenComparing(k -> k));
        return keys;
    }

    /** The value at {@code key}, marked as read; null when absent. */
    ConfigValue value(String key) {
        read.add(key);
        return obj.get(key);
    }

    /** True when {@code key} is absent or null. */
    boolean isNull(String key) {
        ConfigValue v = value(key);
        return v == null || v.valueType() == ConfigValueType.NULL;
    }

    /** True when the operator's file (not a reference.conf default) sets {@code key}. */
    boolean userSet(String key) {
        ConfigValue v = obj.get(key);
        return v != null && !isDefault(v) && v.valueType() != ConfigValueType.NULL;
    }

    /**
     * True when this object itself sets {@code key}, not the template merged under it: a template is a default for
     * every server, so a key that only some of them take (tunnel, with tun) is no error on the others.
     */
    boolean ownSet(String key) {
        if (own == null) {
            return userSet(key);
        }
        ConfigValue v = own.get(key);
        return v != null && v.valueType() != ConfigValueType.NULL;
    }

    /** Marks {@code key} as known here but not valid in this context; finish() says why. */
    void notValidHere(String key, String why) {
        misplaced.put(key, why);
    }

    void error(String key, String message) {
        ConfigValue v = obj.get(key);
        problems.error(v != null && !isDefault(v) ? userOrigin(v) : anchor, path(key), message);
    }

    void warning(String key, String message) {
        ConfigValue v = obj.get(key);
        problems.warning(v != null && !isDefault(v) ? userOrigin(v) : anchor, path(key), message);
    }

    /**
     * Where the operator wrote {@code v}: an object merged with a template has a merged origin
     * with no single file, so take its first key that came from the operator's file instead.
     */
    static ConfigOrigin userOrigin(ConfigValue v) {
        if (v.origin().filename() != null || !(v instanceof ConfigObject o)) {
            return v.origin();
        }
        ConfigOrigin best = null;
        for (ConfigValue child : o.values()) {
            if (isDefault(child)) {
                continue;
            }
            ConfigOrigin c = userOrigin(child);
            if (c.filename() != null && (best == null || c.lineNumber() < best.lineNumber())) {
                best = c;
            }
        }
        return best != null ? best : v.origin();
    }

    void bad(String key, String expected) {
        error(key, render(obj.get(key)) + " (expected " + expected + ")");
    }

    // ---- typed getters: null means absent-and-optional, or an error already reported

    String string(String key, boolean required, String expected) {
        ConfigValue v = value(key);
        if (v == null || v.valueType() == ConfigValueType.NULL) {
            if (required) {
                error(key, "missing (expected " + expected + ")");
            }
            return null;
        }
        if (v.valueType() == ConfigValueType.STRING || v.valueType() == ConfigValueType.NUMBER) {
            String s = String.valueOf(v.unwrapped());
            if (!s.isBlank()) {
                return s;
            }
        }
        bad(key, expected);
        return null;
    }

    Long longIn(String key, long min, long max, boolean required) {
        ConfigValue v = value(key);
        if (v == null || v.valueType() == ConfigValueType.NULL) {
            if (required) {
                error(key, "missing (expected " + min + "-" + max + ")");
            }
            return null;
        }
        Long n = null;
        if (v.valueType() == ConfigValueType.NUMBER) {
            Number num = (Number) v.unwrapped();
            n = num instanceof Integer || num instanceof Long ? num.longValue() : null;
        } else if (v.valueType() == ConfigValueType.STRING && ((String) v.unwrapped()).trim().matches("-?\\d{1,18}")) {
            // HOCON converts numeric strings, which is what ${ENV_VAR} substitutions give.
            n = Long.parseLong(((String) v.unwrapped()).trim());
        }
        if (n != null && n >= min && n <= max) {
            return n;
        }
        bad(key, min + "-" + max);
        return null;
    }

    Integer intIn(String key, int min, int max, boolean required) {
        Long l = longIn(key, min, max, required);
        return l == null ? null : l.intValue();
    }

    Double number(String key, String expected) {
        ConfigValue v = value(key);
        if (v != null && v.valueType() == ConfigValueType.NUMBER) {
            return ((Number) v.unwrapped()).doubleValue();
        }
        if (v != null && v.valueType() == ConfigValueType.STRING) {
            try {
                return Double.parseDouble(((String) v.unwrapped()).trim());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        bad(key, expected);
        return null;
    }

    Boolean bool(String key) {
        ConfigValue v = value(key);
        if (v != null && v.valueType() == ConfigValueType.BOOLEAN) {
            return (Boolean) v.unwrapped();
        }
        if (v != null && v.valueType() == ConfigValueType.STRING) {
            // HOCON's string-to-boolean conversions, for ${ENV_VAR} substitutions.
            switch (((String) v.unwrapped()).trim()) {
                case "true", "yes", "on" -> {
                    return true;
                }
                case "false", "no", "off" -> {
                    return false;
                }
                default -> { }
            }
        }
        bad(key, "true or false");
        return null;
    }

    /** A duration ({@code 5s}, {@code 100ms}; a bare number is milliseconds), or null. */
    Duration duration(String key, boolean required) {
        ConfigValue v = value(key);
        if (v == null || v.valueType() == ConfigValueType.NULL) {
            if (required) {
                error(key, "missing (expected a duration like 5s)");
            }
            return null;
        }
        try {
            return obj.toConfig().getDuration(ConfigUtil.quoteString(key));
        } catch (ConfigException e) {
            bad(key, "a duration like 5s or 100ms");
            return null;
        }
    }

    /** A duration &gt; 0. */
    Duration positiveDuration(String key, boolean required) {
        Duration d = duration(key, required);
        if (d != null && (d.isZero() || d.isNegative())) {
            bad(key, "a duration > 0");
            return null;
        }
        return d;
    }

    /** A duration &gt;= 0. */
    Duration nonNegativeDuration(String key) {
        Duration d = duration(key, true);
        if (d != null && d.isNegative()) {
            bad(key, "a duration >= 0");
            return null;
        }
        return d;
    }

    /** One of {@code options}, matched by its lower-case key. */
    <E> E choice(String key, Collection<E> options, Function<E, String> keyOf) {
        ConfigValue v = value(key);
        if (v != null && (v.valueType() == ConfigValueType.STRING || v.valueType() == ConfigValueType.NUMBER)) {
            String s = String.valueOf(v.unwrapped()).toLowerCase(Locale.ROOT);
            for (E e : options) {
                if (keyOf.apply(e).equals(s)) {
                    return e;
                }
            }
        }
        List<String> names = options.stream().map(keyOf).toList();
        bad(key, "one of " + String.join(", ", names));
        return null;
    }

    /** A nested object; null (with an error) when it is missing or not an object. */
    Node object(String key) {
        ConfigValue v = value(key);
        if (v instanceof ConfigObject o) {
            return new Node(o, path(key), problems);
        }
        if (v == null || v.valueType() == ConfigValueType.NULL) {
            error(key, "missing (expected an object { ... })");
        } else {
            bad(key, "an object { ... }");
        }
        return null;
    }

    /** A nested object merged over {@code template} (which may be null). */
    Node objectOver(String key, ConfigObject template) {
        ConfigValue v = value(key);
        if (v instanceof ConfigObject o) {
            return new Node(template == null ? o : o.withFallback(template), path(key), problems, o.origin());
        }
        if (v == null && template != null) {
            return new Node(template, path(key), problems, anchor);
        }
        bad(key, "an object { ... }");
        return null;
    }

    /** A list; null (with an error) when not a list. */
    List<ConfigValue> list(String key) {
        ConfigValue v = value(key);
        if (v != null && v.valueType() == ConfigValueType.LIST) {
            return new ArrayList<>((com.typesafe.config.ConfigList) v);
        }
        if (v == null || v.valueType() == ConfigValueType.NULL) {
            return List.of();
        }
        bad(key, "a list [ ... ]");
        return null;
    }

    /**
     * Runs a record constructor; its {@code IllegalArgumentException} (whose message starts
     * with the offending key, {@code "port: 0 (expected 1-65535)"}) becomes a problem located at
     * that key's line.
     */
    <T> T build(java.util.function.Supplier<T> constructor) {
        try {
            return constructor.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            String msg = String.valueOf(e.getMessage());
            int c = msg.indexOf(": ");
            if (c > 0 && obj.containsKey(msg.substring(0, c))) {
                error(msg.substring(0, c), msg.substring(c + 2));
            } else {
                problems.error(anchor, path, msg);
            }
            return null;
        }
    }

    /** Reports every key that no getter read, with a suggestion when one is close. */
    void finish() {
        for (Map.Entry<String, ConfigValue> e : obj.entrySet()) {
            String key = e.getKey();
            if (read.contains(key) && !misplaced.containsKey(key)) {
                continue;
            }
            if (isDefault(e.getValue())) {
                continue; // a template key from a reference.conf, not the operator's
            }
            if (misplaced.containsKey(key)) {
                error(key, misplaced.get(key));
                continue;
            }
            String near = closest(key, read);
            error(key, "unknown key" + (near == null ? "" : " (did you mean " + near + "?)"));
        }
    }

    static boolean isDefault(ConfigValue v) {
        String r = v.origin().resource();
        return r != null && r.endsWith("reference.conf");
    }

    static String render(ConfigValue v) {
        if (v == null) {
            return "missing";
        }
        if (v.valueType() == ConfigValueType.OBJECT) {
            return "{...}";
        }
        if (v.valueType() == ConfigValueType.LIST) {
            String s = v.render(CONCISE);
            return s.length() > 60 ? s.substring(0, 57) + "..." : s;
        }
        return v.render(CONCISE);
    }

    /** The candidate nearest to {@code key} (see {@link Spelling#closest}). */
    static String closest(String key, Collection<String> candidates) {
        return Spelling.closest(key, candidates);
    }
}
