package io.lvsd.controller.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lvsd.controller.config.ConfigSummary;
import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.TestConfigs;
import io.lvsd.controller.daemon.DaemonMetrics;
import io.lvsd.testkit.Ports;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminServerTest {
    @TempDir
    Path dir;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpClient http = HttpClient.newHttpClient();
    private final java.util.concurrent.atomic.AtomicInteger errors = new java.util.concurrent.atomic.AtomicInteger();
    private AdminServer server;

    static final String TOKEN = "s3cret-token-for-the-runtime-api";

    private LvsdConfig config(int port) {
        return config(port, "");
    }

    /** {@code admin} with {@code extra} settings; the control socket always in the test's directory. */
    private LvsdConfig config(int port, String extra) {
        return TestConfigs.valid(dir, """
                director { name = adm }
                admin { listen = "127.0.0.1:%d", control-socket = "%s" %s }
                vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, virtual-addresses = ["10.0.0.100/24"] }
                """.formatted(port, dir.resolve("control.sock"), extra));
    }

    /** A token file, owner-only. */
    private Path tokenFile() throws Exception {
        Path f = dir.resolve("api-token");
        java.nio.file.Files.writeString(f, TOKEN + "\n");
        java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    /** A recorder for the runtime API's calls. */
    private AdminServer.Controls recorder(java.util.List<String> calls) {
        return (a, s, r, w) -> {
            calls.add(a + " " + s + " " + r + " " + w);
            return switch (a) {
                case "drain" -> "draining " + s + " " + r;
                case "director/drain" -> "director draining: 0 of 1 VIPs announced";
                case "weight" -> throw new IllegalArgumentException("weight: \"" + w + "\" (expected 0-65535)");
                default -> throw new java.util.NoSuchElementException("service: no virtual server named " + s);
            };
        };
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void metricsAreValidPrometheusTextWithTheLvsdMetrics() throws Exception {
        new JvmMemoryMetrics().bindTo(registry);
        DaemonMetrics metrics = new DaemonMetrics();
        metrics.bindTo(registry);
        metrics.loaded(1_700_000_000_000L, false);
        metrics.reloadFailed();
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port);
        server = new AdminServer(registry, () -> ConfigSummary.of(c), errors::incrementAndGet);
        server.start(c);
        HttpResponse<String> r = get(port, "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).contains("text/plain; version=0.0.4; charset=utf-8");
        Map<String, Double> samples = PrometheusText.parse(r.body());
        assertThat(samples).containsEntry("lvsd_config_reloads_total{result=\"failure\"}", 1.0)
                .containsEntry("lvsd_config_reloads_total{result=\"success\"}", 0.0)
                .containsEntry("lvsd_config_last_reload_success_timestamp_seconds", 1.7e9);
        assertThat(samples.keySet()).anyMatch(k -> k.startsWith("lvsd_build_info{") && k.contains("version=\""));
        assertThat(samples.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes{"));
    }

    @Test
    void theRuntimeApiTakesPostsAndAnswersWithWhatItDidOrWhatIsWrong() throws Exception {
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port, ", token-file = \"" + tokenFile() + "\"");
        java.util.List<String> calls = new java.util.ArrayList<>();
        server = new AdminServer(registry, () -> ConfigSummary.of(c), errors::incrementAndGet, recorder(calls));
        server.start(c);
        HttpResponse<String> ok = post(port, "/real-servers/drain?service=web&real-server=10.1.0.1:80");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("draining web 10.1.0.1:80\n");
        HttpResponse<String> bad = post(port, "/real-servers/weight?service=web&real-server=10.1.0.1:80&weight=x");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).isEqualTo("weight: \"x\" (expected 0-65535)\n");
        HttpResponse<String> missing = post(port, "/real-servers/enable?service=nope&real-server=10.1.0.1:80");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(get(port, "/real-servers/drain?service=web&real-server=10.1.0.1:80").statusCode()).as("GET")
                .isEqualTo(405);
        assertThat(post(port, "/director/drain").statusCode()).as("the director's own actions").isEqualTo(200);
        assertThat(post(port, "/director/drain", null).statusCode()).as("with the same credential").isEqualTo(401);
        assertThat(calls).containsExactly("drain web 10.1.0.1:80 null", "weight web 10.1.0.1:80 x",
                "enable nope 10.1.0.1:80 null", "director/drain null null null");
        assertThat(errors).hasValue(0);
    }

    private HttpResponse<String> post(int port, String path) throws Exception {
        return post(port, path, "Bearer " + TOKEN);
    }

    private HttpResponse<String> post(int port, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private double refused(String reason) {
        return registry.get("lvsd.admin.api.refused").tag("reason", reason).counter().count();
    }

    @Test
    void withoutTheTokenALoopbackClientChangesNothing() throws Exception {
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port, ", token-file = \"" + tokenFile() + "\"");
        java.util.List<String> calls = new java.util.ArrayList<>();
        server = new AdminServer(registry, () -> ConfigSummary.of(c), errors::incrementAndGet, recorder(calls));
        server.start(c);
        String drain = "/real-servers/drain?service=web&real-server=10.1.0.1:80";
        HttpResponse<String> none = post(port, drain, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.body()).as("no detail").isEqualTo("unauthorized\n");
        assertThat(none.headers().firstValue("www-authenticate")).contains("Bearer");
        assertThat(post(port, drain, "Bearer not-the-token-at-all").statusCode()).isEqualTo(401);
        assertThat(post(port, drain, "Basic " + TOKEN).statusCode()).as("another scheme").isEqualTo(401);
        assertThat(calls).as("nothing reached the controls").isEmpty();
        assertThat(refused("no_token")).isEqualTo(2);
        assertThat(refused("bad_token")).isEqualTo(1);
        assertThat(post(port, drain).statusCode()).as("the token").isEqualTo(200);
        assertThat(calls).containsExactly("drain web 10.1.0.1:80 null");
        assertThat(get(port, "/status").statusCode()).as("read-only endpoints need nothing").isEqualTo(200);
        assertThat(get(port, "/status").body()).doesNotContain(TOKEN);
        assertThat(get(port, "/metrics").body()).doesNotContain(TOKEN);
    }

    @Test
    void withoutATokenFileTheApiIsOnTheControlSocketOnly() throws Exception {
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port);
        java.util.List<String> calls = new java.util.ArrayList<>();
        server = new AdminServer(registry, () -> ConfigSummary.of(c), errors::incrementAndGet, recorder(calls));
        server.start(c);
        HttpResponse<String> r = post(port, "/real-servers/drain?service=web&real-server=10.1.0.1:80", "Bearer " + TOKEN);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("forbidden\n");
        assertThat(refused("no_credential")).isEqualTo(1);
        Path socket = dir.resolve("control.sock");
        assertThat(server.controlSocket()).isEqualTo(socket);
        assertThat(java.nio.file.Files.getPosixFilePermissions(socket))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String answer = UnixHttp.post(socket, "/real-servers/drain?service=web&real-server=10.1.0.1:80");
        assertThat(answer).startsWith("HTTP/1.1 200 OK").endsWith("draining web 10.1.0.1:80\n");
        assertThat(UnixHttp.get(socket, "/healthz")).endsWith("ok\n");
        assertThat(calls).containsExactly("drain web 10.1.0.1:80 null");
        server.stop();
        server = null;
        assertThat(socket).as("removed at stop").doesNotExist();
    }

    @Test
    void aStaleControlSocketIsReplacedAndALiveOneIsLeftAlone() throws Exception {
        Path socket = dir.resolve("control.sock");
        try (var stale = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            stale.bind(java.net.UnixDomainSocketAddress.of(socket));
            int port = Ports.freeLoopbackPort();
            LvsdConfig c = config(port);
            AdminServer live = new AdminServer(registry, () -> Map.of(), errors::incrementAndGet);
            assertThatThrownBy(() -> live.start(c)).hasMessage("admin.control-socket: cannot listen on " + socket
                    + ": another process listens on it");
            live.stop();
        }
        assertThat(socket).as("left by a dead process").exists();
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port);
        server = new AdminServer(registry, () -> Map.of(), errors::incrementAndGet);
        server.start(c);
        assertThat(UnixHttp.get(socket, "/healthz")).endsWith("ok\n");
    }

    /**
     * Sends {@code request} on a fresh connection and reads the answer until the server closes (at most 1 MiB). A
     * server that closes with the client's bytes unread resets the connection: what arrived before counts.
     */
    static String raw(int port, byte[] request) throws Exception {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            byte[] buf = new byte[8192];
            for (int n; got.size() < 1 << 20 && (n = s.getInputStream().read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // closed by the server: the answer is what arrived
        }
        return got.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private double closed(String reason) {
        return registry.get("lvsd.admin.connections.closed").tag("reason", reason).counter().count();
    }

    @Test
    void slowClientsAndManyConnectionsDoNotKeepAScrapeOut() throws Exception {
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port, ", max-connections = 8, request-timeout = 1s");
        server = new AdminServer(registry, () -> Map.of(), errors::incrementAndGet);
        server.start(c);
        java.util.List<java.net.Socket> slow = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) { // slowloris: request heads that never end
                java.net.Socket s = new java.net.Socket("127.0.0.1", port);
                s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes());
                slow.add(s);
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> closed("evicted") >= 32);
            HttpResponse<String> r = get(port, "/healthz");
            assertThat(r.statusCode()).as("a scrape gets in at once").isEqualTo(200);
            assertThat(closed("evicted")).as("the oldest waiting clients made room").isGreaterThanOrEqualTo(33);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> closed("timed_out") >= 7);
            int alive = 0;
            for (java.net.Socket s : slow) {
                s.setSoTimeout(2000);
                try {
                    alive += s.getInputStream().read() < 0 ? 0 : 1;
                } catch (java.io.IOException e) {
                    // reset: closed too
                }
            }
            assertThat(alive).as("slow clients still served").isZero();
        } finally {
            for (java.net.Socket s : slow) {
                s.close();
            }
        }
        assertThat(errors).hasValue(0);
    }

    @Test
    void oversizedAndMalformedRequestsGetTheirStatusAndTheConnectionCloses() throws Exception {
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port);
        server = new AdminServer(registry, () -> Map.of(), errors::incrementAndGet);
        server.start(c);
        String pad = "a".repeat(10_000);
        assertThat(raw(port, ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + pad + "\r\n\r\n").getBytes()))
                .startsWith("HTTP/1.1 431 ");
        assertThat(raw(port, ("GET /" + pad + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes())).startsWith("HTTP/1.1 414 ");
        // (The aggregator answers 413 and then discards the body; with keep-alive it would wait for the next request.)
        // The length alone is refused, before any of the body is read.
        assertThat(raw(port, "POST /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n"
                .getBytes())).startsWith("HTTP/1.1 413 ");
        // A good request, then garbage on the same connection: the first is answered, then 400 and close.
        byte[] pipelined = ("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + "\u0000\u0001 NOT HTTP \r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        String answers = raw(port, pipelined);
        assertThat(answers).startsWith("HTTP/1.1 200 OK").contains("ok\n").contains("HTTP/1.1 400 ");
        assertThat(get(port, "/healthz").body()).as("still serving").isEqualTo("ok\n");
        assertThat(errors).hasValue(0);
    }

    @Test
    void accessIsDecidedByTransportAddressAndToken() throws Exception {
        Path f = tokenFile();
        io.lvsd.controller.config.AdminToken t = io.lvsd.controller.config.AdminToken.read(f);
        var loopback = new java.net.InetSocketAddress("127.0.0.1", 40000);
        var remote = new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(new byte[] {10, 0, 0, 5}), 40000);
        assertThat(AdminServer.access("uid 0 pid 1", null, null, null).who())
                .isEqualTo("uid 0 pid 1 over the control socket");
        assertThat(AdminServer.access(null, remote, "Bearer " + TOKEN, t))
                .as("off the loopback, even with the token").extracting(AdminServer.Access::reason)
                .isEqualTo("not_loopback");
        assertThat(AdminServer.access(null, remote, "Bearer " + TOKEN, t).refusal().code()).isEqualTo(403);
        assertThat(AdminServer.access(null, loopback, "Bearer " + TOKEN, null).reason()).isEqualTo("no_credential");
        assertThat(AdminServer.access(null, loopback, null, t).reason()).isEqualTo("no_token");
        assertThat(AdminServer.access(null, loopback, "Bearer x" + TOKEN, t).reason()).isEqualTo("bad_token");
        assertThat(AdminServer.access(null, loopback, "bearer " + TOKEN, t).who())
                .isEqualTo("token " + t.id() + " from 127.0.0.1:40000").doesNotContain(TOKEN);
    }

    @Test
    void statusIsJsonInSnakeCase() throws Exception {
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port);
        server = new AdminServer(registry, () -> ConfigSummary.of(c), errors::incrementAndGet);
        server.start(c);
        HttpResponse<String> r = get(port, "/status");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).contains("application/json");
        JsonNode json = new ObjectMapper().readTree(r.body());
        assertThat(json.get("director").asText()).isEqualTo("adm");
        assertThat(json.at("/vrrp_instances/0/virtual_router_id").asInt()).isEqualTo(51);
        assertThat(json.at("/vrrp_instances/0/virtual_addresses/0").asText()).isEqualTo("10.0.0.100/24");
    }

    @Test
    void healthzAnswersOkAndUnknownPathsAre404AndPostIs405() throws Exception {
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port);
        server = new AdminServer(registry, () -> Map.of(), errors::incrementAndGet);
        server.start(c);
        assertThat(get(port, "/healthz").body()).isEqualTo("ok\n");
        assertThat(get(port, "/nope").statusCode()).isEqualTo(404);
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).contains("GET, HEAD");
    }

    @Test
    void aFailingStatusSupplierIsA500NotACrash() throws Exception {
        int port = Ports.freeLoopbackPort();
        LvsdConfig c = config(port);
        server = new AdminServer(registry, () -> {
            throw new IllegalStateException("boom");
        }, errors::incrementAndGet);
        server.start(c);
        assertThat(get(port, "/status").statusCode()).isEqualTo(500);
        assertThat(errors).hasValue(1);
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void reloadMovesTheEndpointAndAFailedBindKeepsTheOldOne() throws Exception {
        int port = Ports.freeLoopbackPort();
        LvsdConfig first = config(port);
        server = new AdminServer(registry, () -> Map.of(), errors::incrementAndGet);
        server.start(first);
        int port2 = Ports.freeLoopbackPort();
        LvsdConfig second = config(port2);
        server.reload(first, second);
        assertThat(get(port2, "/healthz").statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> get(port, "/healthz")).isInstanceOf(java.net.ConnectException.class);

        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            LvsdConfig third = config(taken.getLocalPort());
            assertThatThrownBy(() -> server.reload(second, third))
                    .hasMessageStartingWith("admin.listen: cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
        assertThat(get(port2, "/healthz").statusCode()).isEqualTo(200);
    }
}
