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
    void aRunThatNamesASubcommandBuildsOnlyThatOneWithTheSameUsage() {
        picocli.CommandLine all = Main.commandLine();
        assertThat(all.getSubcommands().keySet()).containsExactly("run", "check-config", "status", "real-server", "ipvs",
                "sync", "routing", "import", "doctor", "version", "demo", "help");
        assertThat(all.getCommandName()).isEqualTo("lvsd");
        picocli.CommandLine one = Main.commandLine("check-config");
        assertThat(one.getCommandName()).isEqualTo("lvsd");
        assertThat(one.getSubcommands().keySet()).containsExactly("check-config");
        assertThat(one.getSubcommands().get("check-config").getUsageMessage())
                .isEqualTo(all.getSubcommands().get("check-config").getUsageMessage());
        assertThat(Main.commandLine("ipvs").getSubcommands().get("ipvs").getSubcommands()).containsKeys("list", "restore");
        // help, an option or a typo: every subcommand, for help and suggestions
        for (String first : new String[] {"help", "--help", "chek-config"}) {
            assertThat(Main.commandLine(first).getSubcommands()).as(first).hasSameSizeAs(all.getSubcommands());
        }
        assertThat(Main.commandLine(null).getSubcommands()).hasSameSizeAs(all.getSubcommands());
    }

    @Test
    void loggingCountsAsStartedOnceALoggerWasAskedFor() {
        org.slf4j.LoggerFactory.getLogger(MainTest.class);
        assertThat(Main.loggingStarted()).isTrue();
    }
}
