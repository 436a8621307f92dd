package io.lvsd.controller.config;

import io.lvsd.linux.Require;

/** {@code director { name }}: how this director names itself in logs, metrics and status. */
public record DirectorConfig(String name) {
    public DirectorConfig {
        Require.nonEmpty("name", name);
    }
}
