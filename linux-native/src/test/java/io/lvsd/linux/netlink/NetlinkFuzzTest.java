package io.lvsd.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;

/**
 * Coverage-guided fuzzing of the netlink readers (messages, attributes, errors and extended acks, rtnetlink links and
 * addresses) with Jazzer. Under {@code mvn test} it replays the stored corpus
 * ({@code NetlinkFuzzTestInputs/anyDatagramGivesMessagesOrTheTypedError}); {@code JAZZER_FUZZ=1 mvn test
 * -pl linux-native -Dtest=NetlinkFuzzTest} explores for {@code maxDuration}. The checks are the seeded property's
 * ({@link NetlinkPropertyTest}).
 */
class NetlinkFuzzTest {
    @FuzzTest(maxDuration = "5m")
    void anyDatagramGivesMessagesOrTheTypedError(byte[] input) {
        List<NlMessage> all;
        try {
            all = NlMessage.parseAll(input, input.length);
        } catch (NetlinkProtocolException e) {
            assertThat(e.getMessage()).matches(NetlinkPropertyTest.NAMES_THE_FIELD);
            return;
        }
        for (NlMessage m : all) {
            NetlinkPropertyTest.readEverything(m);
            NetlinkPropertyTest.allocationBounded(m);
        }
    }
}
