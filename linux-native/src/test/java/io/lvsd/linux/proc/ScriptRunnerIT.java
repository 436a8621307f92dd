package io.lvsd.linux.proc;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.proc.ScriptRunner.Result;
import io.lvsd.testkit.Lab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes: arguments, exit codes, and a timeout that kills the script's whole group. */
class ScriptRunnerIT {
    @TempDir
    Path dir;

    private final ScriptRunner runner = new ScriptRunner("root", 2, "test-script");

    @AfterEach
    void close() {
        runner.close();
    }

    @Test
    void exitCodeAndArgumentsReachTheScript() throws Exception {
        Path out = dir.resolve("args");
        Result r = runner.run(new Command(List.of("/bin/sh", "-c", "echo \"$@\" > " + out + "; exit 3", "sh")),
                List.of("INSTANCE", "VI_1"), Duration.ofSeconds(20)).get();
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.ok()).isFalse();
        assertThat(r.describe()).isEqualTo("exit 3");
        assertThat(Files.readString(out)).isEqualTo("INSTANCE VI_1\n");
    }

    @Test
    void timeoutKillsTheWholeProcessGroup() throws Exception {
        Path pidFile = dir.resolve("child");
        // The script starts a background child and waits for it; both must die.
        Result r = runner.run(new Command(List.of("/bin/sh", "-c", "sleep 300 & echo $! > " + pidFile + "; wait")),
                List.of(), Duration.ofMillis(1500)).get();
        assertThat(r.timedOut()).isTrue();
        assertThat(r.describe()).startsWith("timed out after");
        long child = Long.parseLong(Files.readString(pidFile).trim());
        // SIGKILL to the group is queued before kill(2) returns, but the child acts on it only when next scheduled:
        // on a loaded machine it may still run for a moment. It must be gone (or a zombie) soon after.
        org.awaitility.Awaitility.await("background child " + child + " of the timed-out script to die")
                .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> !aliveNotZombie(child));
    }

    @Test
    void capturedOutputIsKeptTruncatedAndAForkedChildHoldingItOpenDoesNotStallTheRun() throws Exception {
        Result r = runner.runCapturing(new Command(List.of("/bin/sh", "-c",
                "echo out; echo err >&2; head -c 10000 /dev/zero | tr '\\0' x; sleep 30 & exit 1")), List.of(),
                Duration.ofSeconds(20)).get();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.took()).as("the background sleep keeps the output open; the run must not wait for it")
                .isLessThan(Duration.ofSeconds(10));
        assertThat(r.output()).startsWith("out\nerr\nxxx").endsWith("x [...]");
        assertThat(r.output().length()).isEqualTo(ScriptRunner.OUTPUT_LIMIT + " [...]".length());
        assertThat(runner.run(new Command(List.of("/bin/echo", "hi")), List.of(), Duration.ofSeconds(20)).get().output())
                .as("not captured unless asked").isNull();
    }

    @Test
    void aMissingProgramIsReportedNotThrown() throws Exception {
        Result r = runner.run(new Command(List.of("/nonexistent/script")), List.of(), Duration.ofSeconds(20)).get();
        assertThat(r.ok()).isFalse();
        assertThat(r.describe()).contains("/nonexistent/script");
    }

    @Test
    void anUnknownUserIsASetupErrorNamingTheKey() throws Exception {
        ScriptRunner r = new ScriptRunner("no-such-user-lvsd", 1, "t");
        try {
            assertThat(r.setupError()).startsWith("scripts.user no-such-user-lvsd does not exist");
            assertThat(r.run(new Command(List.of("/bin/true")), List.of(), Duration.ofSeconds(5)).get().describe())
                    .isEqualTo(r.setupError());
        } finally {
            r.close();
        }
    }

    @Test
    void aScriptRunsWithoutCapabilities() throws Exception {
        Lab.requireRoot("switching to scripts.user needs root");
        ScriptRunner nobody = new ScriptRunner("nobody", 1, "t");
        try {
            Result r = nobody.runCapturing(new Command(List.of("/bin/grep", "-E", "^Cap(Inh|Prm|Eff|Amb)",
                    "/proc/self/status")), List.of(), Duration.ofSeconds(20)).get();
            assertThat(r.output().lines()).containsExactly("CapInh:\t0000000000000000", "CapPrm:\t0000000000000000",
                    "CapEff:\t0000000000000000", "CapAmb:\t0000000000000000");
        } finally {
            nobody.close();
        }
    }

    @Test
    void runsAsTheConfiguredUser() throws Exception {
        Lab.requireRoot("switching to scripts.user needs root");
        ScriptRunner nobody = new ScriptRunner("nobody", 1, "t");
        try {
            Result r = nobody.run(new Command(List.of("/bin/sh", "-c", "test \"$(id -un)\" = nobody")), List.of(),
                    Duration.ofSeconds(20)).get();
            assertThat(r.describe()).isEqualTo("exit 0");
        } finally {
            nobody.close();
        }
    }

    private static boolean aliveNotZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (Exception e) {
            return false;
        }
    }
}
