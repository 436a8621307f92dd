package io.lvsd.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTest {
    /** The published schema, docs/doctor-report.schema.json. */
    static Schema schema() throws Exception {
        try (InputStream in = Files.newInputStream(Path.of("../docs/doctor-report.schema.json"))) {
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
    }

    static List<String> problems(String json) throws Exception {
        return schema().validate(json, InputFormat.JSON).stream().map(Object::toString).toList();
    }

    static final List<Finding> FINDINGS = List.of(
            new Finding("kernel: ip_vs", Verdict.OK, "ip_vs is loaded (IPVS itself)", null),
            new Finding("kernel: net.ipv4.ip_forward", Verdict.FAIL, "net.ipv4.ip_forward = 0 but web use NAT",
                    "sysctl -w net.ipv4.ip_forward=1"),
            new Finding("vrrp VI_1: firewall in", Verdict.UNDETERMINED, "nft is not installed", "install nftables"),
            new Finding("kernel: rp_filter eth0", Verdict.WARN, "in force 1", "sysctl -w ..."));

    @Test
    void theJsonReportFollowsThePublishedSchema() throws Exception {
        Report r = new Report("lvsd doctor", "/etc/lvsd/lvsd.conf", FINDINGS);
        assertThat(problems(r.json())).isEmpty();
        var doc = new ObjectMapper().readTree(r.json());
        assertThat(doc.path("verdict").asText()).isEqualTo("fail");
        assertThat(doc.path("summary").toString()).isEqualTo("{\"ok\":1,\"warn\":1,\"fail\":1,\"undetermined\":1}");
        assertThat(doc.path("findings").get(0).path("fix").isNull()).isTrue();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(new Report("lvsd doctor", "x", FINDINGS.subList(2, 4)).exitCode()).isZero();
        assertThat(new Report("lvsd doctor", "x", FINDINGS.subList(2, 4)).verdict()).isEqualTo(Verdict.UNDETERMINED);
    }

    @Test
    void theSchemaRejectsWhatItShould() throws Exception {
        String good = new Report("lvsd real-server check", "dr 10.0.0.100", FINDINGS).json();
        assertThat(problems(good)).isEmpty();
        assertThat(problems(good.replace("\"undetermined\" :", "\"unknown\" :"))).isNotEmpty();
        assertThat(problems(good.replace("\"verdict\" : \"warn\"", "\"verdict\" : \"maybe\""))).isNotEmpty();
        assertThat(problems(good.replace("\"format\" : 1", "\"format\" : 2"))).isNotEmpty();
    }

    @Test
    void theTextReportEndsWithTheCounts() {
        String t = new Report("lvsd doctor", "x", FINDINGS).text();
        assertThat(t).startsWith("ok    kernel: ip_vs: ip_vs is loaded (IPVS itself)\n"
                + "fail  kernel: net.ipv4.ip_forward: net.ipv4.ip_forward = 0 but web use NAT\n"
                + "      fix: sysctl -w net.ipv4.ip_forward=1\n");
        assertThat(t).endsWith("lvsd doctor: 1 ok, 1 warn, 1 fail, 1 undetermined\n");
    }
}
