package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.healthcheck.CheckSpec.Agent.Reports;
import io.lvsd.linux.proc.Command;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** From an agent's text to a weight: parsing, the three meanings, bounds, smoothing. */
class AgentCheckerTest {
    static CheckSpec.Agent agent(Reports reports, double loadFull, int min, Integer max, double smoothing) {
        return new CheckSpec.Agent(null, 7777, null, reports, loadFull, min, max, smoothing);
    }

    @Test
    void theFirstNumberInTheTextIsTheSample() {
        assertThat(AgentChecker.parse("0.75\n")).isEqualTo(0.75);
        assertThat(AgentChecker.parse("idle 42%")).isEqualTo(42.0);
        assertThat(AgentChecker.parse("load: 1.5 2.0 3.0")).isEqualTo(1.5);
        assertThat(AgentChecker.parse("v2-beta up")).as("no standalone number").isNull();
        assertThat(AgentChecker.parse("down")).isNull();
        assertThat(AgentChecker.parse(null)).isNull();
    }

    @Test
    void aNumberTooLargeForADoubleIsDownNotAnException() {
        // 309 digits or more parse as Infinity, which CheckResult refuses as a sample
        CheckResult r = AgentChecker.judge(agent(Reports.LOAD, 1, 0, null, 1), "1" + "0".repeat(400) + "\n", 1);
        assertThat(r.up()).isFalse();
        assertThat(r.detail()).startsWith("agent said \"1000").endsWith("[...]\": too large");
        assertThat(AgentChecker.judge(agent(Reports.LOAD, 1, 0, null, 1), "down #disk full", 1).detail())
                .isEqualTo("agent said \"down #disk full\": no number");
    }

    @Test
    void weightsFromEachKindOfReportBoundedByMinAndMax() {
        assertThat(AgentChecker.weight(agent(Reports.WEIGHT, 1, 0, null, 1), 7.4, 10)).isEqualTo(7);
        assertThat(AgentChecker.weight(agent(Reports.WEIGHT, 1, 0, null, 1), 70, 10)).as("at most the configured").isEqualTo(10);
        assertThat(AgentChecker.weight(agent(Reports.WEIGHT, 1, 0, 100, 1), 70, 10)).isEqualTo(70);
        assertThat(AgentChecker.weight(agent(Reports.LOAD, 2.0, 0, null, 1), 0.0, 10)).isEqualTo(10);
        assertThat(AgentChecker.weight(agent(Reports.LOAD, 2.0, 0, null, 1), 1.0, 10)).isEqualTo(5);
        assertThat(AgentChecker.weight(agent(Reports.LOAD, 2.0, 0, null, 1), 3.0, 10)).isZero();
        assertThat(AgentChecker.weight(agent(Reports.LOAD, 2.0, 2, null, 1), 3.0, 10)).as("min-weight").isEqualTo(2);
        assertThat(AgentChecker.weight(agent(Reports.IDLE, 1, 0, 200, 1), 25, 10)).isEqualTo(50);
        assertThat(AgentChecker.weight(agent(Reports.IDLE, 1, 0, null, 1), 150, 10)).isEqualTo(10);
    }

    @Test
    void samplesAreSmoothedWhileUpAndStartAfreshAfterADown() {
        CheckSpec.Agent spec = agent(Reports.LOAD, 1.0, 0, 100, 0.5);
        HealthTracker t = new HealthTracker(new CheckConfig(Duration.ofSeconds(5), Duration.ofSeconds(3), 1,
                Duration.ofSeconds(1), 1, false, false, null, null, null, null, null, false, spec));
        assertThat(t.record(CheckResult.sample(0.2, "agent load 0.2", 1))).isNotNull();
        assertThat(t.sample()).isEqualTo(0.2);
        t.record(CheckResult.sample(0.6, "agent load 0.6", 1));
        assertThat(t.sample()).isEqualTo(0.4);
        assertThat(AgentChecker.weight(spec, t.sample(), 10)).isEqualTo(60);
        assertThat(t.record(CheckResult.sample(0.4, "agent load 0.4", 1))).as("same smoothed sample: no change").isNull();
        t.record(CheckResult.down("refused", 1));
        assertThat(t.sample()).isNull();
        t.record(CheckResult.sample(0.9, "agent load 0.9", 1));
        assertThat(t.sample()).isEqualTo(0.9);
    }

    @Test
    void aCommandAgentNeedsNoPort() {
        CheckSpec.Agent cmd = new CheckSpec.Agent(Command.parse("/usr/local/bin/load"), null, null, Reports.LOAD, 1.0, 0,
                null, 1);
        assertThat(cmd.command().toString()).contains("/usr/local/bin/load");
    }
}
