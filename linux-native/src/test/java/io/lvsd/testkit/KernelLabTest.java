package io.lvsd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class KernelLabTest {
    @Test
    void theTimeTableListsEveryScenarioAndWhatTheVmAddedOnTop() throws Exception {
        String xml = """
                <testsuite tests="3">
                  <testcase classname="io.lvsd.controller.ReloadVmTest" name="everyEdit()" time="726.25"/>
                  <testcase classname="io.lvsd.controller.TrafficVmTest" name="restart()" time="1,204.5">
                    <failure message="boom"/>
                  </testcase>
                  <testcase classname="io.lvsd.controller.TrafficVmTest" name="listing()" time="10"/>
                </testsuite>
                """;
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));

        String table = KernelLab.timeTable(doc.getElementsByTagName("testcase"), 2000);

        assertThat(table).contains("   726.3  ok      ReloadVmTest.everyEdit()")
                .contains("  1204.5  FAILED  TrafficVmTest.restart()")
                .contains("  1214.5  TrafficVmTest")
                .contains("  1940.8  (tests)")
                .contains("    59.3  (VM boot, guest JVM start, teardown)")
                .contains("  2000.0  VM wall time");
        assertThat(table.indexOf("ReloadVmTest.everyEdit")).isLessThan(table.indexOf("TrafficVmTest.restart"));
    }
}
