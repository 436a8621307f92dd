package io.lvsd.controller.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.TestConfigs;
import io.lvsd.linux.SdNotify;
import io.lvsd.linux.UnixDatagramSocket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon lifecycle with recording components and a test notification socket. */
class DaemonTest {
    @TempDir
    Path dir;

    private final List<String> events = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DaemonMetrics metrics = new DaemonMetrics();
    private final Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
    private UnixDatagramSocket systemd;
    private SdNotify notify;
    private Path file;

    final class Recorder implements Component {
        private final String name;
        boolean failReload;

        Recorder(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void start(LvsdConfig config) {
            events.add(name + " start " + config.director().name());
        }

        @Override
        public void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
            if (failReload && !next.director().name().equals("one")) {
                events.add(name + " reload refused");
                throw new Exception("cannot apply");
            }
            events.add(name + " reload " + previous.director().name() + "->" + next.director().name());
        }

        @Override
        public void stop() {
            events.add(name + " stop");
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        metrics.bindTo(registry);
        String sock = dir.resolve("notify.sock").toString();
        systemd = UnixDatagramSocket.bind(sock);
        notify = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", sock), 1);
        file = TestConfigs.write(dir, "lvsd.conf", "director.name = one\n");
    }

    @AfterEach
    void tearDown() {
        notify.close();
        systemd.close();
    }

    private String nextNotification() throws Exception {
        byte[] b = systemd.receive(5_000, 4096);
        assertThat(b).as("a notification").isNotNull();
        return new String(b, StandardCharsets.UTF_8);
    }

    private Daemon daemon(Component... components) {
        return new Daemon(file, List.of(components), metrics, notify, clock);
    }

    private LvsdConfig load() {
        return TestConfigs.valid(dir, Files.exists(file) ? readFile() : "");
    }

    private String readFile() {
        try {
            return Files.readString(file);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void startsInOrderStopsInReverseAndTellsSystemd() throws Exception {
        Daemon d = daemon(new Recorder("a"), new Recorder("b"));
        d.start(load());
        assertThat(nextNotification()).startsWith("READY=1\n");
        d.stop();
        assertThat(nextNotification()).startsWith("STOPPING=1");
        assertThat(events).containsExactly("a start one", "b start one", "b stop", "a stop");
        assertThat(registry.get("lvsd.config.last.reload.success.timestamp").gauge().value()).isEqualTo(1.767323045E9);
    }

    @Test
    void aGoodReloadHandsTheNewConfigToEveryComponent() throws Exception {
        Daemon d = daemon(new Recorder("a"), new Recorder("b"));
        d.start(load());
        nextNotification();
        Files.writeString(file, "director.name = two\n");
        assertThat(d.reloadNow()).isTrue();
        assertThat(nextNotification()).startsWith("RELOADING=1\n").contains("MONOTONIC_USEC=");
        assertThat(nextNotification()).startsWith("READY=1\n");
        assertThat(d.config().director().name()).isEqualTo("two");
        assertThat(events).contains("a reload one->two", "b reload one->two");
        assertThat(metrics.reloads(true)).isEqualTo(1);
        assertThat(metrics.reloads(false)).isZero();
        d.stop();
    }

    @Test
    void aBrokenFileKeepsTheOldConfigAndCountsAFailure() throws Exception {
        Daemon d = daemon(new Recorder("a"));
        d.start(load());
        Files.writeString(file, "director.name = two\nadmin.listen = broken\n");
        assertThat(d.reloadNow()).isFalse();
        assertThat(d.config().director().name()).isEqualTo("one");
        assertThat(d.lastReloadErrors()).singleElement().satisfies(p -> assertThat(p.format())
                .isEqualTo(file + ":2: admin.listen: \"broken\" (expected address:port like \"192.0.2.1:80\" or \"[2001:db8::1]:80\")"));
        assertThat(events).containsExactly("a start one");
        assertThat(metrics.reloads(false)).isEqualTo(1);
        Files.writeString(file, "director.name = three\n");
        assertThat(d.reloadNow()).isTrue();
        assertThat(d.lastReloadErrors()).isEmpty();
        d.stop();
    }

    @Test
    void aComponentRefusingTheNewConfigRollsBackTheOnesBeforeIt() throws Exception {
        Recorder a = new Recorder("a");
        Recorder b = new Recorder("b");
        b.failReload = true;
        Daemon d = daemon(a, b, new Recorder("c"));
        d.start(load());
        Files.writeString(file, "director.name = two\n");
        assertThat(d.reloadNow()).isFalse();
        assertThat(events).containsExactly("a start one", "b start one", "c start one",
                "a reload one->two", "b reload refused", "a reload two->one");
        assertThat(d.config().director().name()).isEqualTo("one");
        assertThat(metrics.reloads(false)).isEqualTo(1);
        d.stop();
    }

    @Test
    void aFailedStartStopsWhatStartedAndRethrows() {
        Component broken = new Component() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public void start(LvsdConfig config) throws Exception {
                throw new Exception("admin.listen: cannot listen on 127.0.0.1:1: Address already in use");
            }

            @Override
            public void reload(LvsdConfig previous, LvsdConfig next) {
            }

            @Override
            public void stop() {
                events.add("broken stop");
            }
        };
        Daemon d = daemon(new Recorder("a"), broken);
        assertThatThrownBy(() -> d.start(load())).hasMessageContaining("Address already in use");
        assertThat(events).containsExactly("a start one", "a stop");
    }

    @Test
    void theWatchdogPingsFromTheDirectorLoop() throws Exception {
        String sock = dir.resolve("notify.sock").toString();
        try (SdNotify wd = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", sock, "WATCHDOG_USEC", "100000"), 1)) {
            Daemon d = new Daemon(file, List.of(new Recorder("a")), metrics, wd, clock);
            d.start(load());
            assertThat(nextNotification()).startsWith("READY=1");
            assertThat(nextNotification()).isEqualTo("WATCHDOG=1");
            assertThat(nextNotification()).isEqualTo("WATCHDOG=1");
            d.stop();
        }
    }
}
