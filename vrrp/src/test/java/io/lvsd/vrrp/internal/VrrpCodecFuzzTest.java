package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.lvsd.testkit.Fuzz;
import java.net.InetAddress;

/**
 * Coverage-guided fuzzing of the advert decoder with Jazzer. Under {@code mvn test} it replays the stored corpus
 * ({@code VrrpCodecFuzzTestInputs/decodeNeverThrows}, inputs that reached new code, and every crash once fixed);
 * {@code JAZZER_FUZZ=1 mvn test -pl vrrp -Dtest=VrrpCodecFuzzTest} explores for {@code maxDuration}, adding what it
 * finds to the corpus. The seeded 10,000-input properties are {@link VrrpCodecPropertyTest}'s.
 */
class VrrpCodecFuzzTest {
    static final InetAddress SRC4 = VrrpCodecPropertyTest.SRC4;
    static final InetAddress DST4 = VrrpCodecPropertyTest.DST4;
    static final InetAddress SRC6 = VrrpCodecPropertyTest.SRC6;
    static final InetAddress DST6 = VrrpCodecPropertyTest.DST6;

    @FuzzTest(maxDuration = "5m")
    void decodeNeverThrows(byte[] input) {
        for (boolean v6 : new boolean[] {false, true}) {
            for (boolean pseudo : new boolean[] {false, true}) {
                VrrpCodec.Result r = VrrpCodec.decode(input, v6 ? SRC6 : SRC4, v6 ? DST6 : DST4, 255, pseudo);
                if (r instanceof VrrpCodec.Dropped d) {
                    assertThat(d.detail()).isNotBlank();
                }
            }
        }
        Fuzz.allocationBounded(input, b -> VrrpCodec.decode(b, SRC4, DST4, 255, true));
    }
}
