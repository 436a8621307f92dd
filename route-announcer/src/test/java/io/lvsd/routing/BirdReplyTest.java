package io.lvsd.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Replies captured from BIRD 2.0.12's control socket (Debian bookworm). */
class BirdReplyTest {
    static final String SHOW_PROTOCOLS = ""
            + "2002-Name       Proto      Table      State  Since         Info\n"
            + "1002-device1    Device     ---        up     23:00:37.199  \n"
            + " kernel1    Kernel     master4    up     23:00:37.199  \n"
            + " bfd1       BFD        ---        up     23:00:37.199  \n"
            + " d1         BGP        ---        up     23:01:48.463  Established   \n"
            + " d2         BGP        ---        start  23:00:45.213  Active        Socket: Connection refused\n"
            + "0000 \n";

    @Test
    void showProtocolsGivesTheBgpSessionsWithTheirStates() {
        BirdReply r = BirdReply.parse(SHOW_PROTOCOLS);
        assertThat(r.ok()).isTrue();
        assertThat(r.code()).isZero();
        assertThat(r.texts(1002)).hasSize(5);
        assertThat(r.bgpSessions()).containsExactly(
                new RoutingDaemon.Session("d1", "BGP", "Established", true, "23:01:48.463"),
                new RoutingDaemon.Session("d2", "BGP", "Active", false, "23:00:45.213"));
    }

    @Test
    void aSinceWithDateAndTimeIsOneField() {
        BirdReply r = BirdReply.parse("2002-Name       Proto      Table      State  Since         Info\n"
                + "1002-router4    BGP        ---        up     2026-12-04 23:04:07  Established   \n"
                + " router6    BGP        ---        start  2026-12-04 23:04:07  Connect       \n"
                + "0000 \n");
        assertThat(r.bgpSessions()).containsExactly(
                new RoutingDaemon.Session("router4", "BGP", "Established", true, "2026-12-04 23:04:07"),
                new RoutingDaemon.Session("router6", "BGP", "Connect", false, "2026-12-04 23:04:07"));
    }

    @Test
    void anErrorReplyIsNotOkAndSaysWhat() {
        BirdReply r = BirdReply.parse("9001 syntax error, unexpected CF_SYM_UNDEFINED\n");
        assertThat(r.ok()).isFalse();
        assertThat(r.error()).isEqualTo("9001 syntax error, unexpected CF_SYM_UNDEFINED");
        assertThat(r.bgpSessions()).isEmpty();
    }

    @Test
    void truncatedOrForeignRepliesAreRefusedWithTheLine() {
        assertThatThrownBy(() -> BirdReply.parse("2002-Name Proto\n1002-d1 BGP --- up 1 Established\n"))
                .hasMessageContaining("ended without a final line");
        assertThatThrownBy(() -> BirdReply.parse("HTTP/1.1 200 OK\n"))
                .hasMessage("bird reply: \"HTTP/1.1 200 OK\" (expected a four-digit code and '-' or ' ', or a line "
                        + "starting with a space)");
        assertThatThrownBy(() -> BirdReply.parse(" d1 BGP\n0000 \n"))
                .hasMessageContaining("a continuation line before any code");
    }
}
