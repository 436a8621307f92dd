package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.proc.Command;
import io.lvsd.linux.proc.ScriptRunner;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How exit codes, timeouts and output become results (the running itself is ScriptRunner's, tested there). */
class ScriptCheckerTest {
    static final CheckSpec.Script PLAIN = new CheckSpec.Script(Command.parse("/usr/local/bin/check-db"), false);
    static final CheckSpec.Script DYNAMIC = new CheckSpec.Script(Command.parse("/usr/local/bin/check-db"), true);

    static ScriptRunner.Result exit(int code, String output) {
        return new ScriptRunner.Result(code, false, Duration.ofMillis(5), null, output);
    }

    @Test
    void exitZeroIsUpAndOtherCodesAreDownWithWhatTheScriptSaid() {
        assertThat(ScriptChecker.judge(PLAIN, exit(0, "fine"), 1)).isEqualTo(CheckResult.up("exit 0", 1));
        assertThat(ScriptChecker.judge(PLAIN, exit(1, "replica lag 30 s\nthreshold 10 s\n"), 1))
                .isEqualTo(CheckResult.down("exit 1: replica lag 30 s | threshold 10 s", 1));
        assertThat(ScriptChecker.judge(PLAIN, exit(2, ""), 1)).isEqualTo(CheckResult.down("exit 2", 1));
        assertThat(ScriptChecker.judge(PLAIN, exit(3, "x".repeat(500)), 1).detail())
                .isEqualTo("exit 3: " + "x".repeat(200) + " [...]");
    }

    @Test
    void dynamicExitCodesAboveOneAreUpWithThatWeightMinusTwo() {
        assertThat(ScriptChecker.judge(DYNAMIC, exit(0, null), 1)).isEqualTo(CheckResult.up("exit 0", 1));
        assertThat(ScriptChecker.judge(DYNAMIC, exit(1, null), 1).up()).isFalse();
        assertThat(ScriptChecker.judge(DYNAMIC, exit(2, null), 1)).isEqualTo(CheckResult.up(0, "exit 2: weight 0", 1));
        assertThat(ScriptChecker.judge(DYNAMIC, exit(255, null), 1)).isEqualTo(CheckResult.up(253, "exit 255: weight 253", 1));
    }

    @Test
    void timeoutsAndStartFailuresAreDown() {
        assertThat(ScriptChecker.judge(PLAIN, new ScriptRunner.Result(-1, true, Duration.ofMillis(3000), null, "waiting"), 1)
                .detail()).isEqualTo("timed out after 3000 ms, killed: waiting");
        assertThat(ScriptChecker.judge(PLAIN, new ScriptRunner.Result(127, false, Duration.ZERO,
                "cannot run /usr/local/bin/check-db (exit 127)", ""), 1).detail())
                .isEqualTo("cannot run /usr/local/bin/check-db (exit 127)");
    }
}
