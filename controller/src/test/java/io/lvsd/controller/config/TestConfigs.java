package io.lvsd.controller.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes configuration text to files and loads it, for tests. */
public final class TestConfigs {
    private TestConfigs() {
    }

    public static Path write(Path dir, String name, String text) {
        try {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            Files.writeString(p, text);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static LoadResult load(Path dir, String text) {
        return ConfigLoader.load(write(dir, "lvsd.conf", text));
    }

    /** The errors of loading {@code text}, formatted, with the directory prefix removed. */
    public static List<String> errors(Path dir, String text) {
        LoadResult r = load(dir, text);
        return r.errors().stream().map(p -> p.format().replace(dir + "/", "")).toList();
    }

    public static List<String> warnings(Path dir, String text) {
        LoadResult r = load(dir, text);
        return r.warnings().stream().map(p -> p.format().replace(dir + "/", "")).toList();
    }

    /**
     * Runs {@code body} as on a host where the Debian package created {@code lvsd-script}, the shipped configuration's
     * script user: their scripts.user check then passes here too.
     */
    public static <T> T asPackaged(java.util.function.Supplier<T> body) {
        java.util.function.Predicate<String> real = ConfigBinder.users;
        ConfigBinder.users = u -> u.equals("lvsd-script") || ConfigBinder.userExists(u);
        try {
            return body.get();
        } finally {
            ConfigBinder.users = real;
        }
    }

    /** Loads text that must be valid, failing with every error otherwise. */
    public static LvsdConfig valid(Path dir, String text) {
        LoadResult r = load(dir, text);
        if (!r.ok()) {
            throw new AssertionError("expected a valid configuration, got:\n" + String.join("\n",
                    r.errors().stream().map(ConfigProblem::format).toList()));
        }
        return r.config();
    }
}
