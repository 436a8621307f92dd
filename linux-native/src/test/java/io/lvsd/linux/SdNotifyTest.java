package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SdNotifyTest {
    @TempDir
    Path dir;

    @Test
    void withoutNotifySocketEverythingIsANoOp() throws Exception {
        try (SdNotify n = SdNotify.fromEnvironment(Map.of("WATCHDOG_USEC", "1000000"), 42)) {
            assertThat(n.enabled()).isFalse();
            assertThat(n.watchdogInterval()).isEmpty();
            n.notify("READY=1");
        }
    }

    @Test
    void sendsStateToTheNotifySocket() throws Exception {
        String path = dir.resolve("n.sock").toString();
        try (UnixDatagramSocket systemd = UnixDatagramSocket.bind(path);
             SdNotify n = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", path), 42)) {
            n.notify("RELOADING=1\nSTATUS=reloading");
            assertThat(new String(systemd.receive(5_000, 4096), StandardCharsets.UTF_8))
                    .isEqualTo("RELOADING=1\nSTATUS=reloading");
        }
    }

    @Test
    void watchdogAppliesToOurPidOnly() throws Exception {
        String path = dir.resolve("w.sock").toString();
        try (UnixDatagramSocket systemd = UnixDatagramSocket.bind(path)) {
            try (SdNotify mine = SdNotify.fromEnvironment(
                    Map.of("NOTIFY_SOCKET", path, "WATCHDOG_USEC", "2000000", "WATCHDOG_PID", "42"), 42)) {
                assertThat(mine.watchdogInterval()).contains(Duration.ofSeconds(2));
            }
            try (SdNotify other = SdNotify.fromEnvironment(
                    Map.of("NOTIFY_SOCKET", path, "WATCHDOG_USEC", "2000000", "WATCHDOG_PID", "7"), 42)) {
                assertThat(other.watchdogInterval()).isEmpty();
            }
        }
    }

    @Test
    void rejectsAMalformedWatchdogInterval() {
        assertThatThrownBy(() -> SdNotify.fromEnvironment(Map.of("WATCHDOG_USEC", "soon"), 1))
                .hasMessage("WATCHDOG_USEC: \"soon\" (expected a positive integer)");
    }
}
