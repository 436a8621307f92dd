package io.lvsd.controller.admin;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line must be
 * a HELP, a TYPE or a sample of a declared metric, or the parse fails.
 */
public final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile(
            "(" + NAME + ")(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\",?)*\\})? "
                    + "([-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|Inf))( -?[0-9]+)?");
    private static final Set<String> SUFFIXES = Set.of("_total", "_sum", "_count", "_bucket", "_max", "_created");

    private PrometheusText() {
    }

    /** Parses {@code text}; returns every sample as {@code name{labels}} to value. */
    public static Map<String, Double> parse(String text) {
        Map<String, String> types = new HashMap<>();
        Map<String, Double> samples = new LinkedHashMap<>();
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            Matcher m;
            if (line.startsWith("# HELP ")) {
                if (!HELP.matcher(line).matches()) {
                    throw new AssertionError("line " + n + ": bad HELP: " + line);
                }
            } else if (line.startsWith("# TYPE ")) {
                m = TYPE.matcher(line);
                if (!m.matches()) {
                    throw new AssertionError("line " + n + ": bad TYPE: " + line);
                }
                if (types.put(m.group(1), m.group(2)) != null) {
                    throw new AssertionError("line " + n + ": second TYPE for " + m.group(1));
                }
            } else if (line.startsWith("#")) {
                continue;
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                String name = m.group(1);
                if (!types.containsKey(name) && SUFFIXES.stream().noneMatch(s -> name.endsWith(s)
                        && types.containsKey(name.substring(0, name.length() - s.length())))) {
                    throw new AssertionError("line " + n + ": sample of undeclared metric " + name);
                }
                String key = name + (m.group(2) == null ? "" : m.group(2));
                if (samples.put(key, Double.parseDouble(m.group(3).replace("Inf", "Infinity"))) != null) {
                    throw new AssertionError("line " + n + ": duplicate sample " + key);
                }
            } else {
                throw new AssertionError("line " + n + ": not Prometheus text: " + line);
            }
        }
        return samples;
    }
}
