package io.lvsd.doctor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A doctor's findings as an operator reads them (one line each, the fix under it, a count at the end) or as
 * JSON ({@code docs/doctor-report.schema.json}), and the exit code they mean: 1 when one failed, else 0.
 */
public record Report(String tool, String subject, List<Finding> findings) {
    public Report {
        findings = List.copyOf(findings);
    }

    /** The JSON document's format version; raised on an incompatible change. */
    public static final int FORMAT = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public Map<Verdict, Integer> counts() {
        Map<Verdict, Integer> n = new EnumMap<>(Verdict.class);
        for (Verdict v : Verdict.values()) {
            n.put(v, 0);
        }
        findings.forEach(f -> n.merge(f.verdict(), 1, Integer::sum));
        return n;
    }

    /** The worst verdict: fail, then undetermined, warn, ok. */
    public Verdict verdict() {
        Map<Verdict, Integer> n = counts();
        return n.get(Verdict.FAIL) > 0 ? Verdict.FAIL : n.get(Verdict.UNDETERMINED) > 0 ? Verdict.UNDETERMINED
                : n.get(Verdict.WARN) > 0 ? Verdict.WARN : Verdict.OK;
    }

    /** 1 when something failed, else 0. */
    public int exitCode() {
        return counts().get(Verdict.FAIL) > 0 ? 1 : 0;
    }

    public String text() {
        StringBuilder b = new StringBuilder();
        for (Finding f : findings) {
            b.append(f.format()).append('\n');
        }
        Map<Verdict, Integer> n = counts();
        b.append(String.format(Locale.ROOT, "%s: %d ok, %d warn, %d fail, %d undetermined%n", tool, n.get(Verdict.OK),
                n.get(Verdict.WARN), n.get(Verdict.FAIL), n.get(Verdict.UNDETERMINED)));
        return b.toString();
    }

    public String json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("tool", tool);
        root.put("subject", subject);
        root.put("verdict", name(verdict()));
        ObjectNode summary = root.putObject("summary");
        counts().forEach((v, c) -> summary.put(name(v), c));
        ArrayNode list = root.putArray("findings");
        for (Finding f : findings) {
            ObjectNode o = list.addObject();
            o.put("check", f.check());
            o.put("verdict", name(f.verdict()));
            o.put("evidence", f.evidence());
            if (f.fix() == null) {
                o.putNull("fix");
            } else {
                o.put("fix", f.fix());
            }
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String name(Verdict v) {
        return v.name().toLowerCase(Locale.ROOT);
    }
}
