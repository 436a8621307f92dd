package io.lvsd.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnnouncementsTest {
    private static final Announcements.VipHealth WEB = new Announcements.VipHealth(IpAddresses.parse("192.0.2.10"), 2,
            List.of());
    private static final Announcements.VipHealth DNS = new Announcements.VipHealth(IpAddresses.parse("2001:db8::53"), 1,
            List.of("dns-udp"));

    @Test
    void aHealthyVipIsAnnouncedAndOneWithoutQuorumIsWithdrawnWithTheServiceNamed() {
        List<Announcements.Decision> d = Announcements.decide(Announcements.Gate.RUNNING, List.of(WEB, DNS));
        assertThat(d).extracting(Announcements.Decision::announce).containsExactly(true, false);
        assertThat(d.get(0).reason()).isEqualTo("its 2 virtual servers have quorum");
        assertThat(d.get(1).reason()).isEqualTo("quorum lost by dns-udp");
    }

    @Test
    void theDirectorsStateWithdrawsEveryVipWithThePrecedenceStoppingTableDrainingQuorum() {
        assertThat(Announcements.decide(new Announcements.Gate(true, true, false), List.of(WEB, DNS)))
                .allSatisfy(x -> assertThat(x.announce()).isFalse())
                .extracting(Announcements.Decision::reason)
                .containsOnly("the director is draining (POST /director/drain)");
        assertThat(Announcements.decide(new Announcements.Gate(false, true, false), List.of(WEB)).get(0).reason())
                .isEqualTo("the IPVS table is not applied");
        assertThat(Announcements.decide(new Announcements.Gate(false, true, true), List.of(WEB)).get(0).reason())
                .isEqualTo("lvsd is stopping");
        assertThat(Announcements.decide(new Announcements.Gate(true, false, false),
                List.of(new Announcements.VipHealth(WEB.vip(), 1, List.of()))).get(0))
                .isEqualTo(new Announcements.Decision(WEB.vip(), true, "its virtual server has quorum"));
    }
}
