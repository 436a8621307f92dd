package io.lvsd.controller.config;

import io.lvsd.linux.Require;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code director { name, state-directory }}: how this director names itself in logs, metrics and status, and
 * where it keeps what must survive a restart (the IPVS services it owns).
 *
 * @param stateDirectory as configured; null means {@link #stateDirectory(Map)}'s default
 */
public record DirectorConfig(String name, Path stateDirectory) {
    /** Where state goes without {@code state-directory}. */
    public static final Path DEFAULT_STATE_DIRECTORY = Path.of("/var/lib/lvsd");

    public DirectorConfig {
        Require.nonEmpty("name", name);
    }

    public DirectorConfig(String name) {
        this(name, null);
    }

    /**
     * The state directory in force: {@code state-directory}; else {@code $STATE_DIRECTORY}, which systemd sets for
     * the unit's {@code StateDirectory=} (the first entry, when several are listed); else {@code /var/lib/lvsd}.
     */
    public Path stateDirectory(Map<String, String> env) {
        if (stateDirectory != null) {
            return stateDirectory;
        }
        String s = env.get("STATE_DIRECTORY");
        if (s != null && !s.isBlank()) {
            String first = s.split(":")[0];
            if (first.startsWith("/")) {
                return Path.of(first);
            }
        }
        return DEFAULT_STATE_DIRECTORY;
    }
}
