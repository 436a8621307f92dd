package io.lvsd.sync;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the sync decoder with Jazzer. Under {@code mvn test} it replays the stored corpus
 * ({@code SyncCodecFuzzTestInputs/decodeGivesAValueOrATypedError}); {@code JAZZER_FUZZ=1 mvn test -pl sync-manager
 * -Dtest=SyncCodecFuzzTest} explores for {@code maxDuration}. The check is the seeded property's
 * ({@link SyncCodecPropertyTest#valueOrTypedError}).
 */
class SyncCodecFuzzTest {
    @FuzzTest(maxDuration = "5m")
    void decodeGivesAValueOrATypedError(byte[] input) {
        SyncCodecPropertyTest.valueOrTypedError(input);
    }
}
