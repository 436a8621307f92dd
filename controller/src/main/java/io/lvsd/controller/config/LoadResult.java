package io.lvsd.controller.config;

import java.util.List;

/**
 * The outcome of reading a configuration: a config when there are no errors; otherwise every
 * error found. Warnings may come with either.
 */
public record LoadResult(LvsdConfig config, List<ConfigProblem> errors, List<ConfigProblem> warnings) {
    public LoadResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
        if ((config == null) == errors.isEmpty()) {
            throw new IllegalArgumentException("a result has a config exactly when it has no errors");
        }
    }

    public boolean ok() {
        return config != null;
    }
}
