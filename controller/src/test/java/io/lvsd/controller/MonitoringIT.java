package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lvsd.testkit.KernelLab;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped alerting rules and Grafana dashboard ({@code etc/monitoring}) checked by Prometheus's own promtool:
 * the rules parse and pass their unit tests, and every PromQL expression of the dashboard parses once Grafana's
 * variables are substituted. promtool comes from Debian's {@code prometheus} package: unpacked into a cache, never
 * installed, so no Prometheus service is started on this machine.
 */
class MonitoringIT {
    static final Path DIR = KernelLab.projectRoot().resolve("etc/monitoring");
    static String promtool;

    @BeforeAll
    static void promtool() throws Exception {
        if (Lab.onPath("promtool")) {
            promtool = "promtool";
            return;
        }
        Path cache = Path.of(System.getenv().getOrDefault("LVSD_LAB_CACHE", "/var/cache/lvsd-lab"), "prometheus");
        Path bin = cache.resolve("root/usr/bin/promtool");
        if (!Files.isExecutable(bin) && Lab.isRoot()) {
            Files.createDirectories(cache);
            Sh.run(null, "chmod", "755", cache.toString()); // apt-get download runs as _apt where it can
            Sh.run(null, "apt-get", "update", "-qq");
            Sh.run(null, "sh", "-c", "cd " + cache + " && rm -f ./*.deb && apt-get download prometheus"
                    + " && dpkg-deb -x ./prometheus_*.deb root && rm -f ./*.deb");
        }
        if (!Files.isExecutable(bin)) {
            Lab.unavailable("needs promtool (Debian package prometheus, unpacked into " + cache + ")");
        }
        promtool = bin.toString();
    }

    @Test
    void theAlertingRulesParse() throws Exception {
        Sh.Result r = Sh.run(null, promtool, "check", "rules", DIR.resolve("lvsd-alerts.yml").toString());
        assertThat(r.rc()).as(r.out()).isZero();
        assertThat(r.out()).contains("SUCCESS");
    }

    @Test
    void theAlertingRulesPassTheirUnitTests() throws Exception {
        Sh.Result r = Sh.run(null, "sh", "-c", "cd " + DIR + " && " + promtool + " test rules lvsd-alerts.test.yml");
        assertThat(r.rc()).as(r.out()).isZero();
        assertThat(r.out()).contains("SUCCESS");
    }

    @Test
    void everyDashboardExpressionParses() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode dash = json.readTree(DIR.resolve("grafana-lvsd.json").toFile());
        List<String> exprs = new ArrayList<>();
        dash.findValues("expr").forEach(e -> exprs.add(e.asText()));
        for (JsonNode v : dash.path("templating").path("list")) {
            if (v.path("type").asText().equals("query")) {
                String q = v.path("query").isObject() ? v.path("query").path("query").asText() : v.path("query").asText();
                // label_values(metric, label) is Grafana's, not PromQL: its metric selector must parse.
                exprs.add(q.replaceAll("^label_values\\((.*),\\s*\\w+\\)$", "$1"));
            }
        }
        assertThat(exprs).as("the dashboard's queries").hasSizeGreaterThan(20);
        ObjectNode rules = json.createObjectNode();
        ArrayNode group = rules.putArray("groups").addObject().put("name", "dashboard").putArray("rules");
        for (int i = 0; i < exprs.size(); i++) {
            group.addObject().put("record", "dashboard:expr_" + i).put("expr", grafanaVariables(exprs.get(i)));
        }
        Path file = Files.createTempFile("lvsd-dashboard", ".yml");
        try {
            Files.writeString(file, json.writeValueAsString(rules)); // JSON is YAML
            Sh.Result r = Sh.run(null, promtool, "check", "rules", file.toString());
            assertThat(r.rc()).as(r.out() + "\n" + String.join("\n", exprs)).isZero();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Grafana's variables replaced by what they stand for at query time. */
    static String grafanaVariables(String expr) {
        return expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "1h")
                .replace("${director:regex}", ".*").replace("${director}", ".*").replace("$director", ".*");
    }
}
