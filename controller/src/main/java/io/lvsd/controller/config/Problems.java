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
        }
        return new ConfigProblem(file, line, path, message);
    }
}
