package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the launcher's entry answers before the command line loads, and what Main decides at exit. */
class MainTest {
    @Test
    void versionNamesLvsdJavaAndThePlatform() {
        assertThat(BuildInfo.describe()).startsWith("lvsd " + BuildInfo.version() + " (Java ")
                .contains(System.getProperty("os.arch"));
    }

    @Test
    void loggingCountsAsStartedOnceALoggerWasAskedFor() {
        org.slf4j.LoggerFactory.getLogger(MainTest.class);
        assertThat(Main.loggingStarted()).isTrue();
    }
}
