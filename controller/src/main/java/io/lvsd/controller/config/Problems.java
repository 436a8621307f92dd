package io.lvsd.controller.config;

import com.typesafe.config.ConfigOrigin;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects errors and warnings while binding, so one run reports all of them. */
final class Problems {
    private final List<ConfigProblem> errors = new ArrayList<>();
    private final List<ConfigProblem> warnings = new ArrayList<>();

    void error(ConfigOrigin origin, String path, String message) {
        errors.add(problem(origin, path, message));
    }

    void warning(ConfigOrigin origin, String path, String message) {
        warnings.add(problem(origin, path, message));
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    List<ConfigProblem> errors() {
        return sorted(errors);
    }

    List<ConfigProblem> warnings() {
        return sorted(warnings);
    }

    private static List<ConfigProblem> sorted(List<ConfigProblem> list) {
        List<ConfigProblem> out = new ArrayList<>(list);
        out.sort(Comparator.comparing((ConfigProblem p) -> p.file() == null ? "" : p.file())
                .thenComparingInt(ConfigProblem::line));
        return out;
    }

    static ConfigProblem problem(ConfigOrigin origin, String path, String message) {
        String file = null;
        int line = -1;
        if (origin != null) {
            file = origin.filename() != null ? origin.filename()
                    : origin.resource() != null ? origin.resource() : origin.description();
            line = origin.lineNumber();
            if (origin.filename() == null && origin.description().startsWith(MERGED)) {
                // An object merged from the operator's file and a default template: point at the file's part.
                for (String part : origin.description().substring(MERGED.length()).split(",")) {
                    java.util.regex.Matcher m = FILE_LINE.matcher(part.trim());
                    if (m.matches() && !m.group(1).contains("reference.conf")) {
                        file = m.group(1);
                        line = Integer.parseInt(m.group(2));
                        break;
                    }
                }
            }
        }
        return new ConfigProblem(file, line, path, message);
    }

    /** typesafe-config's description of a merged value's origin: "merge of FILE: LINE,OTHER: LINE". */
    private static final String MERGED = "merge of ";
    private static final java.util.regex.Pattern FILE_LINE = java.util.regex.Pattern.compile("(.+): (\\d+)");
}
