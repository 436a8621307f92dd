package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The command line a run builds: only the subcommand it names, else all of them. */
class MainTest {
    @Test
    void aNamedSubcommandIsTheOnlyOneBuilt() {
        assertThat(Main.commandLine("check-config").getSubcommands()).containsOnlyKeys("check-config");
        assertThat(Main.commandLine("ipvs").getSubcommands()).containsOnlyKeys("ipvs");
        assertThat(Main.commandLine("ipvs").getSubcommands().get("ipvs").getSubcommands()).isNotEmpty();
    }

    @Test
    void helpOptionsAndTyposSeeEverySubcommand() {
        for (String first : new String[] {null, "help", "--help", "-V", "chek-config"}) {
            assertThat(Main.commandLine(first).getSubcommands()).as(String.valueOf(first))
                    .containsKeys("run", "check-config", "status", "real-server", "ipvs", "sync", "import", "doctor",
                            "version", "demo", "help")
                    .hasSize(Main.Commands.ALL.size());
        }
        assertThat(Main.commandLine().getSubcommands()).hasSize(Main.Commands.ALL.size());
    }

    @Test
    void versionNamesLvsdJavaAndThePlatform() {
        assertThat(BuildInfo.describe()).startsWith("lvsd " + BuildInfo.version() + " (Java ")
                .contains(System.getProperty("os.arch"));
    }
}
