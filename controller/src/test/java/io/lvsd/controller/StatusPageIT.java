package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.controller.admin.StatusPage;
import io.lvsd.linux.NetNamespace;
import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin page in a real browser: headless Chromium (Debian's package) drives it through the DevTools protocol
 * against a running lvsd, all in namespaces the test builds (a director, two real servers and the browser on one
 * bridge; the browser reaches nothing else). It checks that the page loads with every section, that a real server
 * going down shows as DOWN within the check bound without a reload, and that a VRRP transition appears in the
 * events; it keeps screenshots (desktop and phone) in {@code target/status-page/}.
 */
class StatusPageIT {
    /** The check: a probe every second, 1 s timeout, down at the first failure. */
    static final Duration CHECK_BOUND = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void thePageLoadsUpdatesLiveAndShowsTransitions() throws Exception {
        Lab.requireRoot("the status page test builds network namespaces");
        Lab.requireCommand("chromium", "chromium");
        Path out = Path.of("target", "status-page");
        Files.createDirectories(out);
        try (Netns net = new Netns("lvsd-page")) {
            net.bridge("lan");
            net.link("d1", "eth0", "lan", "10.95.0.1/24");
            net.link("rs", "eth0", "lan", "10.95.0.21/24");
            net.exec("rs", "ip", "addr", "add", "10.95.0.22/24", "dev", "eth0");
            net.link("browser", "eth0", "lan", "10.95.0.9/24");
            // An interface VI_1 tracks (weight 0: down means FAULT); a veth pair, as not every kernel has dummy.
            net.exec("d1", "ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1");
            net.exec("d1", "ip", "link", "set", "trk1", "up");
            net.exec("d1", "ip", "link", "set", "trk0", "up");
            List<ServerSocket> servers = new ArrayList<>();
            for (String rs : List.of("10.95.0.21", "10.95.0.22")) {
                servers.add(listen(net.name("rs"), rs));
            }
            Path conf = dir.resolve("lvsd.conf");
            Files.writeString(conf, """
                    director.name = page-d1
                    admin { listen = "10.95.0.1:9180", allow-remote = true }
                    vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 61, priority = 150,
                      advert-interval = 1s, virtual-addresses = ["10.95.0.100/24"], track.interfaces = [ trk0 ] }
                    virtual-servers = [ { name = web, address = "10.95.0.100:80", scheduler = rr, forwarding = dr,
                      check { type = tcp, interval = 1s, timeout = 1s },
                      real-servers = [ { address = "10.95.0.21:80" }, { address = "10.95.0.22:80" } ] } ]
                    """);
            try (LvsdProcess lvsd = LvsdProcess.startIn(net.name("d1"), java.util.Map.of(), "run", "-f", conf.toString());
                 Cdp browser = Cdp.launch(net.name("browser"), dir.resolve("profile"), out.resolve("chromium.log"))) {
                await("the admin endpoint (lvsd: " + lvsd.output() + ")").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions().until(() -> {
                            browser.navigate("http://10.95.0.1:9180/");
                            return browser.eval("document.title").equals("lvsd page-d1");
                        });
                String text = mainText(browser);
                assertThat(text).contains("Director").contains("VRRP").contains("Virtual services")
                        .contains("Connection sync").contains("Events").contains("director page-d1");
                // A marker that only survives if the page is never reloaded.
                browser.eval("window.lvsdTestMarker = 42");
                await("VI_1 MASTER and both real servers UP on the page").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(250)).until(() -> {
                            String t = mainText(browser);
                            return t.contains("MASTER") && count(t, "\tUP\t") == 2;
                        });
                Files.write(out.resolve("status-page.png"), browser.screenshot(1280, 900, false));
                Files.write(out.resolve("status-page-phone.png"), browser.screenshot(390, 844, true));
                assertThat(browser.eval("document.getElementById('live').textContent")).contains("live, updated");

                // A real server goes down: the page shows it without a reload.
                servers.get(1).close();
                long t0 = System.nanoTime();
                Duration bound = CHECK_BOUND.plusMillis(StatusPage.POLL_MILLIS).plusSeconds(3);
                await("10.95.0.22:80 DOWN on the page").atMost(bound).pollInterval(Duration.ofMillis(100))
                        .until(() -> rowOf(mainText(browser), "10.95.0.22:80").contains("DOWN"));
                System.out.printf("status page: a real server's fall showed after %d ms (check bound %d ms, "
                        + "page poll %d ms)%n", (System.nanoTime() - t0) / 1_000_000, CHECK_BOUND.toMillis(),
                        StatusPage.POLL_MILLIS);
                assertThat(rowOf(mainText(browser), "10.95.0.21:80")).contains("UP");
                assertThat(eventsOf(browser)).as("the other real server never went down").noneMatch(l -> l.contains(
                        "10.95.0.21:80 (tcp) DOWN"));

                // A VRRP transition: the tracked interface goes down, VI_1 goes to FAULT.
                net.exec("d1", "ip", "link", "set", "trk0", "down");
                await("the transition in the page's events").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200)).until(() -> rowOf(eventsText(browser), "20")
                                .contains("VI_1: MASTER -> FAULT"));
                assertThat(rowOf(eventsText(browser), "20")).as("the newest event first").contains("trk0");
                assertThat(mainText(browser)).contains("FAULT (interface trk0 is down)");
                assertThat(browser.eval("String(window.lvsdTestMarker)")).as("the page was never reloaded")
                        .isEqualTo("42");
                assertThat(browser.eval("getComputedStyle(document.querySelector('td.state-FAULT')).color"))
                        .as("a FAULT cell is coloured by the page's own style sheet").isNotBlank()
                        .isNotEqualTo(browser.eval("getComputedStyle(document.querySelector('td')).color"));
                Files.write(out.resolve("status-page-fault.png"), browser.screenshot(1280, 900, false));
            } finally {
                for (ServerSocket s : servers) {
                    s.close();
                }
            }
        }
    }

    /** The page's main element as text: table cells separated by tabs, rows by newlines. */
    static String mainText(Cdp browser) throws Exception {
        String t = browser.eval("document.getElementById('status').innerText");
        return t == null ? "" : t;
    }

    /** Every event line on the page. */
    static List<String> eventsOf(Cdp browser) throws Exception {
        String t = browser.eval("document.getElementById('events').innerText");
        return t == null ? List.of() : t.lines().toList();
    }

    /** The events section as text, newest first. */
    static String eventsText(Cdp browser) throws Exception {
        String t = browser.eval("document.getElementById('events').innerText");
        return t == null ? "" : t.lines().filter(l -> l.contains("VI_1:")).reduce("", (a, b) -> a + b + "\n");
    }

    static String rowOf(String text, String first) {
        return text.lines().filter(l -> l.startsWith(first)).findFirst().orElse("");
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** A TCP listener in {@code ns} that accepts and closes, as far as a TCP check needs. */
    static ServerSocket listen(String ns, String address) throws Exception {
        ServerSocket ss = NetNamespace.call(ns, () -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(address, 80), 64);
            return s;
        });
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try {
                    Socket c = ss.accept();
                    Thread h = new Thread(() -> {
                        try (c) {
                            c.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                        } catch (java.io.IOException e) {
                            // the check resets its probes
                        }
                    });
                    h.setDaemon(true);
                    h.start();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }, "rs-" + address);
        t.setDaemon(true);
        t.start();
        return ss;
    }
}
