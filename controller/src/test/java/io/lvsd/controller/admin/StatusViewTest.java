package io.lvsd.controller.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

public class StatusViewTest {
    /** A /status document as a running director writes it (abridged to what the summary reads). */
    public static final String STATUS = """
            {
              "director" : "d1", "version" : "0.1.0", "pid" : 4242, "started_at" : "2026-12-03T06:00:00Z",
              "uptime_seconds" : 3725, "last_reload_errors" : [ ],
              "last_reload" : { "vrrp" : [ "VI_1: priority 150 -> 160" ] },
              "config" : { "file" : "/etc/lvsd/lvsd.conf" },
              "vrrp" : [ {
                "name" : "VI_1", "interface_name" : "eth0", "virtual_router_id" : 51, "version" : 3,
                "state" : "MASTER", "configured_priority" : 160, "effective_priority" : 140,
                "master_address" : "10.99.0.11", "virtual_addresses" : [ "10.99.0.100/24" ], "sync_group" : null,
                "last_transition" : "2026-12-03T06:00:05Z", "last_transition_reason" : "preempted 10.99.0.12",
                "fault_reason" : null
              }, {
                "name" : "VI_2", "interface_name" : "eth1", "virtual_router_id" : 52, "version" : 3,
                "state" : "FAULT", "configured_priority" : 100, "effective_priority" : 100,
                "master_address" : null, "virtual_addresses" : [ ], "fault_reason" : "interface eth1 is down"
              } ],
              "ipvs" : {
                "available" : true, "last_reconcile" : "2026-12-03T07:02:00Z", "drift_corrections" : 2,
                "last_failures" : [ ], "foreign_services" : [ "TCP 10.0.0.9:25" ],
                "services" : [ {
                  "name" : "web", "service" : "TCP 10.99.0.100:80", "scheduler" : "wrr",
                  "rule" : "-A -t 10.99.0.100:80 -s wrr", "connections" : 1234, "cps" : 12, "in_pps" : 80, "out_pps" : 0,
                  "real_servers" : [ { "address" : "10.99.0.21:80", "forwarding" : "dr", "weight" : 3,
                                       "active_connections" : 7, "inactive_connections" : 30, "connections" : 900 } ]
                } ]
              },
              "health" : {
                "real_servers" : [
                  { "service" : "web", "real_server" : "10.99.0.21:80", "check" : "http", "state" : "UP",
                    "weight" : 3, "last_result" : "HTTP 200", "last_probe_millis" : 1.24 },
                  { "service" : "web", "real_server" : "10.99.0.22:80", "check" : "http", "state" : "DOWN",
                    "weight" : null, "last_result" : "connect: Connection refused", "last_probe_millis" : 0.5 } ],
                "services" : [ { "service" : "web", "live_weight" : 3, "quorum" : 2, "hysteresis" : 0,
                                 "state" : "held", "sorry_server" : null } ]
              },
              "sync" : { "enabled" : true, "interface_name" : "eth0", "sync_id" : 7, "follow" : "VI_1",
                         "followed_state" : "MASTER", "daemons" : [ "master" ], "fail_back" : "idle",
                         "senders" : [ ] },
              "events" : [
                { "at" : "2026-12-03T06:00:05Z", "source" : "vrrp", "level" : "INFO", "text" : "VI_1: BACKUP -> MASTER" },
                { "at" : "2026-12-03T06:10:00Z", "source" : "health", "level" : "WARN",
                  "text" : "web 10.99.0.22:80 is DOWN: <script>alert('x')</script> & more" } ]
            }
            """;

    static JsonNode tree() throws Exception {
        return new ObjectMapper().readTree(STATUS);
    }

    @Test
    void theTextSummaryHasEverySectionWithAlignedTables() throws Exception {
        String text = StatusView.text(StatusView.of(tree()));
        assertThat(text).contains("director d1, lvsd 0.1.0, pid 4242, up 1h02m (since 2026-12-03 06:00:00.000)")
                .contains("configuration /etc/lvsd/lvsd.conf")
                .contains("last reload changed: vrrp: VI_1: priority 150 -> 160")
                .contains("foreign services (not lvsd's, left alone): TCP 10.0.0.9:25")
                .contains("-A -t 10.99.0.100:80 -s wrr  [web]  conns 1234  12 conn/s, 80 pkt/s in, 0 pkt/s out"
                        + "  quorum held (live weight 3 of 2)")
                .contains("on eth0, sync-id 7, daemons master, following VI_1 (MASTER)");
        List<String> lines = text.lines().toList();
        String header = lines.stream().filter(l -> l.contains("Real server")).findFirst().orElseThrow();
        String up = lines.stream().filter(l -> l.contains("10.99.0.21:80")).findFirst().orElseThrow();
        String down = lines.stream().filter(l -> l.contains("10.99.0.22:80")).findFirst().orElseThrow();
        // Columns line up under their headers, as in ipvsadm -Ln.
        assertThat(up.indexOf("Route")).isEqualTo(header.indexOf("Forward"));
        assertThat(up.indexOf("UP")).isEqualTo(header.indexOf("Health"));
        assertThat(down.indexOf("DOWN")).isEqualTo(header.indexOf("Health"));
        assertThat(up).contains("HTTP 200 (1.2 ms)");
        // A configured real server the kernel's table no longer has (down, removed) is still shown.
        assertThat(down).contains("DOWN, not in the table").contains("connect: Connection refused");
        String vi1 = lines.stream().filter(l -> l.contains("VI_1") && l.contains("eth0")).findFirst().orElseThrow();
        assertThat(vi1).contains("MASTER").contains("140 (configured 160)").contains("10.99.0.100/24")
                .contains("2026-12-03 06:00:05.000 (preempted 10.99.0.12)");
        assertThat(text).contains("FAULT (interface eth1 is down)");
        // Events newest first.
        assertThat(text.indexOf("is DOWN")).isLessThan(text.indexOf("BACKUP -> MASTER"));
    }

    @Test
    void missingPartsShowAsDashesAndEmptyTablesSaySo() throws Exception {
        JsonNode bare = new ObjectMapper().readTree("{\"director\":\"x\",\"ipvs\":{\"available\":false,"
                + "\"error\":\"the kernel has no IPVS (genetlink family IPVS not found)\"}}");
        String text = StatusView.text(StatusView.of(bare));
        assertThat(text).contains("director x, lvsd -, pid -, up -")
                .contains("(no VRRP instance)")
                .contains("IPVS unavailable: the kernel has no IPVS (genetlink family IPVS not found)")
                .contains("no virtual service")
                .contains("Connection sync\n  off")
                .contains("(no event yet)");
    }

    @Test
    void thePageEscapesEverythingAndMarksStates() throws Exception {
        List<StatusView.Section> sections = StatusView.of(tree());
        String html = StatusPage.page("d1 <b>", sections);
        assertThat(html).doesNotContain("<script>alert").doesNotContain("<b>")
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more")
                .contains("<title>lvsd d1 &lt;b&gt;</title>")
                .contains("<td class=\"state-MASTER\">MASTER</td>")
                .contains("<td class=\"state-DOWN\">DOWN, not in the table</td>")
                .contains("<td class=\"state-UP\">UP</td>")
                .contains("<section id=\"vrrp\">").contains("<a href=\"#services\">Virtual services</a>")
                .contains("<script src=\"/lvsd.js\" defer></script>")
                .contains("<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>");
        // The only script is the page's own file: nothing inline for the Content-Security-Policy to allow.
        assertThat(html.split("<script", -1)).hasSize(2);
        assertThat(StatusPage.main(sections)).startsWith("<section id=\"director\">").doesNotContain("<html");
    }

    @Test
    void theAssetsComeFromTheJarAndNothingElseIsServed() {
        assertThat(new String(StatusPage.asset("/lvsd.js"), java.nio.charset.StandardCharsets.UTF_8))
                .contains("/?part=main");
        assertThat(StatusPage.asset("/lvsd.css")).isNotEmpty();
        assertThat(StatusPage.asset("/../AdminServer.class")).isNull();
        assertThat(StatusPage.asset("/page/lvsd.js")).isNull();
    }

    @Test
    void uptimeReadsLikeACounter() {
        var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        assertThat(StatusView.uptime(f.numberNode(59))).isEqualTo("0m59s");
        assertThat(StatusView.uptime(f.numberNode(3725))).isEqualTo("1h02m");
        assertThat(StatusView.uptime(f.numberNode(90_061))).isEqualTo("1d01h01m");
        assertThat(StatusView.uptime(f.textNode("x"))).isEqualTo("-");
    }
}
