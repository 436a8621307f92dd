package io.lvsd.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lvsd.doctor.Finding;
import io.lvsd.doctor.Verdict;
import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.ServiceState;
import io.lvsd.ipvs.Stats;
import io.lvsd.ipvs.VirtualService;
import io.lvsd.linux.net.IpAddresses;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** lvsd doctor --peer: this director's live table against another's /status. */
class DoctorPeerTableTest {
    private static ServiceState service(String scheduler, String... dests) {
        ServiceKey key = new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse("192.0.2.10"), 80));
        List<ServiceState.DestinationState> ds = new ArrayList<>();
        for (String d : dests) {
            String[] aw = d.split("/");
            ds.add(new ServiceState.DestinationState(Destination.of(IpAddresses.parseEndpoint(aw[0], 80), Forwarding.DR,
                    Integer.parseInt(aw[1])), 0, 0, 0, Stats.ZERO));
        }
        return new ServiceState(VirtualService.of(key, scheduler), Stats.ZERO, ds);
    }

    private static com.fasterxml.jackson.databind.JsonNode peer(String scheduler, String... order) throws Exception {
        StringBuilder o = new StringBuilder();
        for (String x : order) {
            o.append(o.length() == 0 ? "" : ", ").append('"').append(x).append('"');
        }
        return new ObjectMapper().readTree("{ \"director\": \"d2\", \"ipvs\": { \"available\": true, \"services\": [ "
                + "{ \"service\": \"tcp 192.0.2.10:80\", \"scheduler\": \"" + scheduler + "\", \"destination_order\": ["
                + o + "] } ] } }");
    }

    @Test
    void theSameMhOrderIsOkAndAnotherOrderOfTheSameServersFails() throws Exception {
        List<ServiceState> here = List.of(service("mh", "10.0.0.3:80/1", "10.0.0.2:80/1", "10.0.0.1:80/1"));
        List<Finding> ok = DoctorCommand.peerTable("http://d2:9180", here,
                peer("mh", "10.0.0.3:80/1", "10.0.0.2:80/1", "10.0.0.1:80/1"));
        assertThat(ok).singleElement().satisfies(f -> {
            assertThat(f.verdict()).isEqualTo(Verdict.OK);
            assertThat(f.check()).isEqualTo("table vs d2: tcp 192.0.2.10:80");
            assertThat(f.evidence()).startsWith("the same destinations in the same order");
        });
        List<Finding> bad = DoctorCommand.peerTable("http://d2:9180", here,
                peer("mh", "10.0.0.2:80/1", "10.0.0.3:80/1", "10.0.0.1:80/1"));
        assertThat(bad).singleElement().satisfies(f -> {
            assertThat(f.verdict()).isEqualTo(Verdict.FAIL);
            assertThat(f.evidence()).contains("the Maglev tables differ").contains(
                    "here, head to tail, 10.0.0.3:80/1, 10.0.0.2:80/1, 10.0.0.1:80/1; on d2 10.0.0.2:80/1, 10.0.0.3:80/1");
        });
        assertThat(DoctorCommand.peerTable("http://d2:9180", here, peer("mh", "10.0.0.3:80/1", "10.0.0.2:80/0",
                "10.0.0.1:80/1")).get(0).verdict()).as("another weight").isEqualTo(Verdict.FAIL);
    }

    @Test
    void otherSchedulersCompareAsSetsAndAMissingServiceOrSchedulerFails() throws Exception {
        List<ServiceState> here = List.of(service("wrr", "10.0.0.1:80/1", "10.0.0.2:80/1"));
        assertThat(DoctorCommand.peerTable("p", here, peer("wrr", "10.0.0.2:80/1", "10.0.0.1:80/1")).get(0).verdict())
                .isEqualTo(Verdict.OK);
        assertThat(DoctorCommand.peerTable("p", here, peer("mh", "10.0.0.2:80/1", "10.0.0.1:80/1")).get(0).evidence())
                .isEqualTo("scheduler wrr here, mh on d2");
        assertThat(DoctorCommand.peerTable("p", here, new ObjectMapper().readTree(
                "{ \"director\": \"d2\", \"ipvs\": { \"available\": true, \"services\": [] } }")).get(0).evidence())
                .isEqualTo("d2 has no such service");
        assertThat(DoctorCommand.peerTable("p", here, new ObjectMapper().readTree(
                "{ \"director\": \"d2\", \"ipvs\": { \"available\": false, \"error\": \"no IPVS\" } }")).get(0))
                .isEqualTo(new Finding("table vs d2", Verdict.UNDETERMINED, "p cannot read its IPVS table: no IPVS", null));
    }
}
