package io.lvsd.ipvs;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the IPVS reply decoders (netlink framing, generic netlink, services, destinations,
 * statistics, daemons) with Jazzer. Under {@code mvn test} it replays the stored corpus
 * ({@code IpvsCodecFuzzTestInputs/anyReplyGivesValuesOrTheTypedError}); {@code JAZZER_FUZZ=1 mvn test -pl ipvs-driver
 * -Dtest=IpvsCodecFuzzTest} explores for {@code maxDuration}. The check is the seeded property's
 * ({@link IpvsCodecPropertyTest#parseEverything}).
 */
class IpvsCodecFuzzTest {
    @FuzzTest(maxDuration = "5m")
    void anyReplyGivesValuesOrTheTypedError(byte[] input) {
        IpvsCodecPropertyTest.parseEverything(input);
    }
}
