package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrackingTest {
    @TempDir
    Path dir;

    long value(String content) throws Exception {
        Path f = dir.resolve("v");
        Files.writeString(f, content);
        return Tracking.readFileValue(f.toString());
    }

    @Test
    void aTrackedFileHoldsItsFirstIntegerAndAnythingElseIsZero() throws Exception {
        assertThat(value("12\n")).isEqualTo(12);
        assertThat(value("  -40 extra words\n")).isEqualTo(-40);
        assertThat(value("+7")).isEqualTo(7);
        assertThat(value("")).isZero();
        assertThat(value("down\n")).isZero();
        assertThat(value("99999999999999999999")).as("more digits than a long: the first 18").isEqualTo(999_999_999_999_999_999L);
        assertThat(Tracking.readFileValue(dir.resolve("missing").toString())).isZero();
        assertThat(Tracking.readFileValue(dir.toString())).as("a directory").isZero();
    }
}
