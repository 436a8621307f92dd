package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every network checker against real servers this test starts on loopback: the result and the detail an operator
 * reads in the log must both be right.
 */
class CheckersIT {
    static final InetAddress LO = InetAddress.getLoopbackAddress();
    static ProbeTransport transport;
    static ProbeTransport nio;
    static HttpServer http;
    static final List<AutoCloseable> closers = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        transport = ProbeTransport.create(1);
        nio = ProbeTransport.on(new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()));
        http = HttpServer.create(new InetSocketAddress(LO, 0), 16);
        http.createContext("/ok", x -> reply(x, 200, "all good\n"));
        http.createContext("/missing", x -> reply(x, 404, "no\n"));
        http.createContext("/big", x -> reply(x, 200, "x".repeat(10_000)));
        http.createContext("/host", x -> reply(x, 200, "host=" + x.getRequestHeaders().getFirst("Host")));
        http.createContext("/load", x -> reply(x, 200, "idle=80\n"));
        http.start();
    }

    @AfterAll
    static void stop() throws Exception {
        http.stop(0);
        for (AutoCloseable c : closers) {
            c.close();
        }
        transport.close();
        nio.close();
    }

    static void reply(com.sun.net.httpserver.HttpExchange x, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(code, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    static CheckConfig config(CheckSpec spec, Duration timeout) {
        return new CheckConfig(Duration.ofSeconds(1), timeout, 1, Duration.ofSeconds(1), 1, false, false, null, null,
                null, null, null, false, spec);
    }

    /** One probe, as the monitor runs it (timeout included). */
    static CheckResult probe(Checker checker, InetSocketAddress target, CheckConfig config) throws Exception {
        return probe(transport, checker, target, config);
    }

    static CheckResult probe(ProbeTransport t, Checker checker, InetSocketAddress target, CheckConfig config)
            throws Exception {
        CompletableFuture<CheckResult> f = new CompletableFuture<>();
        var loop = t.next();
        loop.execute(() -> {
            ProbeContext ctx = new ProbeContext(target, config, loop, t, System::nanoTime, f::complete);
            loop.schedule(() -> ctx.complete(checker.timedOut(ctx)), config.timeout().toMillis(), TimeUnit.MILLISECONDS);
            checker.probe(ctx);
        });
        return f.get(30, TimeUnit.SECONDS);
    }

    static CheckSpec.Http http(String path, List<String> status, String regex, String digest, int maxBytes) {
        return new CheckSpec.Http(false, "GET", path, null, null, status.stream().map(CheckSpec.StatusRange::parse).toList(),
                regex == null ? null : Pattern.compile(regex), digest == null ? null : CheckSpec.Digest.parse(digest),
                maxBytes, "1.1");
    }

    static CheckResult httpProbe(ProbeTransport t, CheckSpec.Http spec) throws Exception {
        return probe(t, new HttpChecker(), new InetSocketAddress(LO, http.getAddress().getPort()),
                config(spec, Duration.ofSeconds(3)));
    }

    // ---- tcp

    /**
     * TCP, HTTP(S) and agent checks run twice: as bare sockets on epoll (what lvsd uses on Linux; a talking check's
     * handlers in a pipeline in memory) and as NIO channels (the fallback).
     */
    static ProbeTransport transportFor(String kind) {
        ProbeTransport t = kind.equals("bare") ? transport : nio;
        assertThat(t.bareTcp()).as(kind + ": " + ProbeTransport.interfaceBindingUnavailable())
                .isEqualTo(kind.equals("bare"));
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void tcpIsUpWhenAcceptedAndDownWhenRefused(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        try (ServerSocket ss = new ServerSocket(0, 50, LO)) {
            CheckResult r = probe(t, new TcpChecker(), new InetSocketAddress(LO, ss.getLocalPort()),
                    config(new CheckSpec.Tcp(), Duration.ofSeconds(3)));
            assertThat(r.up()).isTrue();
            assertThat(r.detail()).isEqualTo("connected");
        }
        int closed = freePort();
        CheckResult r = probe(t, new TcpChecker(), new InetSocketAddress(LO, closed), config(new CheckSpec.Tcp(), Duration.ofSeconds(3)));
        assertThat(r.up()).isFalse();
        assertThat(r.detail()).containsIgnoringCase("refused");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void aHalfOpenTcpCheckIsUpWithoutTheServerEverAcceptingAndAWholeOneIsAccepted(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        try (java.nio.channels.ServerSocketChannel ss = java.nio.channels.ServerSocketChannel.open()) {
            ss.bind(new InetSocketAddress(LO, 0), 50);
            ss.configureBlocking(false);
            InetSocketAddress at = (InetSocketAddress) ss.getLocalAddress();
            CheckResult half = probe(t, new TcpChecker(), at, config(new CheckSpec.Tcp(true), Duration.ofSeconds(3)));
            assertThat(half.up()).isTrue();
            assertThat(half.detail()).isEqualTo("connected");
            // Longer than the director's delayed acknowledgement of the SYN-ACK (200 ms): had the probe completed
            // the handshake instead of resetting first, its connection would be in the accept queue by now.
            Thread.sleep(500);
            assertThat(ss.accept()).as("the half-open probe's connection in the server's accept queue").isNull();
            CheckResult down = probe(t, new TcpChecker(), new InetSocketAddress(LO, freePort()),
                    config(new CheckSpec.Tcp(true), Duration.ofSeconds(3)));
            assertThat(down.up()).isFalse();
            assertThat(down.detail()).containsIgnoringCase("refused");
            // The whole handshake on the same listener: queued for accept (and reset).
            assertThat(probe(t, new TcpChecker(), at, config(new CheckSpec.Tcp(), Duration.ofSeconds(3))).up()).isTrue();
            java.nio.channels.SocketChannel accepted = null;
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); accepted == null && System.nanoTime() < end; ) {
                accepted = ss.accept();
                Thread.sleep(10);
            }
            assertThat(accepted).as("the whole handshake's connection in the accept queue").isNotNull();
            accepted.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void tcpClosesWithAResetSoThatNoProbeLeavesATimeWaitSocket(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        try (ServerSocket ss = new ServerSocket(0, 50, LO)) {
            CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
                try (Socket s = ss.accept()) {
                    s.setSoTimeout(5000);
                    return "read " + s.getInputStream().read(); // -1 after a FIN; an exception after a reset
                } catch (IOException e) {
                    return e.getMessage();
                }
            });
            assertThat(probe(t, new TcpChecker(), new InetSocketAddress(LO, ss.getLocalPort()),
                    config(new CheckSpec.Tcp(), Duration.ofSeconds(3))).up()).isTrue();
            assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("Connection reset");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void tcpToASilentServerTimesOut(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        // A listener whose accept queue is full drops further SYNs: the connect neither succeeds nor fails.
        try (ServerSocket ss = new ServerSocket(0, 1, LO)) {
            List<Socket> filler = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket s = new Socket();
                    try {
                        s.connect(ss.getLocalSocketAddress(), 200);
                        filler.add(s);
                    } catch (IOException full) {
                        s.close();
                        break;
                    }
                }
                CheckResult r = probe(t, new TcpChecker(), new InetSocketAddress(LO, ss.getLocalPort()),
                        config(new CheckSpec.Tcp(), Duration.ofMillis(500)));
                assertThat(r.up()).isFalse();
                assertThat(r.detail()).matches("timed out after 500 ms|connection timed out.*");
            } finally {
                for (Socket s : filler) {
                    s.close();
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void tcpFromAConfiguredSourcePort(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        int src = freePort();
        try (ServerSocket ss = new ServerSocket(0, 50, LO)) {
            CompletableFuture<Integer> peerPort = CompletableFuture.supplyAsync(() -> {
                try (Socket s = ss.accept()) {
                    return s.getPort();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            CheckConfig c = new CheckConfig(Duration.ofSeconds(1), Duration.ofSeconds(3), 1, Duration.ofSeconds(1), 1,
                    false, false, null, null, LO, src, null, false, new CheckSpec.Tcp());
            assertThat(probe(t, new TcpChecker(), new InetSocketAddress(LO, ss.getLocalPort()), c).up()).isTrue();
            assertThat(peerPort.get(5, TimeUnit.SECONDS)).isEqualTo(src);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void tcpBoundToAnInterfaceThatDoesNotExistIsDownWithTheReason(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        try (ServerSocket ss = new ServerSocket(0, 50, LO)) {
            CheckConfig c = new CheckConfig(Duration.ofSeconds(1), Duration.ofSeconds(3), 1, Duration.ofSeconds(1), 1,
                    false, false, null, null, null, null, "nosuchif0", false, new CheckSpec.Tcp());
            CheckResult r = probe(t, new TcpChecker(), new InetSocketAddress(LO, ss.getLocalPort()), c);
            assertThat(r.up()).isFalse();
            assertThat(r.detail()).startsWith("interface nosuchif0: ");
            CheckConfig lo = new CheckConfig(Duration.ofSeconds(1), Duration.ofSeconds(3), 1, Duration.ofSeconds(1), 1,
                    false, false, null, null, null, null, "lo", false, new CheckSpec.Tcp());
            CheckResult onLo = probe(t, new TcpChecker(), new InetSocketAddress(LO, ss.getLocalPort()), lo);
            if (t.bareTcp() && isRoot()) { // NIO channels cannot bind to an interface
                assertThat(onLo.up()).as(onLo.detail()).isTrue();
            }
        }
    }

    // ---- http

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void httpStatusRules(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        assertThat(httpProbe(t, http("/ok", List.of("200-299"), null, null, 1 << 20))).extracting(CheckResult::up,
                CheckResult::detail).containsExactly(true, "HTTP 200");
        CheckResult missing = httpProbe(t, http("/missing", List.of("200-299"), null, null, 1 << 20));
        assertThat(missing.up()).isFalse();
        assertThat(missing.detail()).isEqualTo("HTTP 404 (expected [200-299])");
        assertThat(httpProbe(t, http("/missing", List.of("200", "404"), null, null, 1 << 20)).up()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void httpBodyRegexAndDigest(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        assertThat(httpProbe(t, http("/ok", List.of("200"), "all\\s+good", null, 1 << 20)).detail())
                .isEqualTo("HTTP 200, body matches");
        CheckResult no = httpProbe(t, http("/ok", List.of("200"), "^broken", null, 1 << 20));
        assertThat(no.up()).isFalse();
        assertThat(no.detail()).isEqualTo("HTTP 200: body does not match body-regex \"^broken\"");
        String md5 = HttpChecker.digest("MD5", "all good\n".getBytes(StandardCharsets.UTF_8));
        assertThat(httpProbe(t, http("/ok", List.of("200"), null, "md5:" + md5, 1 << 20)).up()).isTrue();
        String sha = HttpChecker.digest("SHA-256", "all good\n".getBytes(StandardCharsets.UTF_8));
        assertThat(httpProbe(t, http("/ok", List.of("200"), null, "sha256:" + sha, 1 << 20)).up()).isTrue();
        CheckResult wrong = httpProbe(t, http("/ok", List.of("200"), null, "md5:" + "0".repeat(32), 1 << 20));
        assertThat(wrong.up()).isFalse();
        assertThat(wrong.detail()).isEqualTo("HTTP 200: body md5 " + md5 + " (expected " + "0".repeat(32) + ")");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void httpReadsNoMoreThanMaxBytes(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        assertThat(httpProbe(t, http("/big", List.of("200"), "^x{100}", null, 100)).detail())
                .isEqualTo("HTTP 200, body matches");
        CheckResult r = httpProbe(t, http("/big", List.of("200"), "y", null, 100));
        assertThat(r.detail()).isEqualTo("HTTP 200: body (first 100 bytes, max-bytes) does not match body-regex \"y\"");
        CheckResult d = httpProbe(t, http("/big", List.of("200"), null, "md5:" + "0".repeat(32), 100));
        assertThat(d.detail()).isEqualTo("HTTP 200: body longer than max-bytes (100): digest not checked");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void httpSendsTheVirtualHost(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        CheckSpec.Http spec = new CheckSpec.Http(false, "GET", "/host", "www.example.test", null,
                List.of(CheckSpec.StatusRange.parse("200")), Pattern.compile("host=www\\.example\\.test$"), null, 1000, "1.0");
        assertThat(httpProbe(t, spec).up()).isTrue();
        assertThat(httpProbe(t, http("/host", List.of("200"), "host=127\\.0\\.0\\.1:\\d+$", null, 1000)).up()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void httpToAServerThatNeverAnswersTimesOutAndToAClosedPortIsRefused(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        try (ServerSocket ss = new ServerSocket(0, 50, LO)) {
            CompletableFuture<Socket> held = CompletableFuture.supplyAsync(() -> {
                try {
                    return ss.accept(); // and say nothing
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            CheckResult r = probe(t, new HttpChecker(), new InetSocketAddress(LO, ss.getLocalPort()),
                    config(http("/", List.of("200"), null, null, 1000), Duration.ofMillis(400)));
            assertThat(r).extracting(CheckResult::up, CheckResult::detail).containsExactly(false, "timed out after 400 ms");
            held.get(5, TimeUnit.SECONDS).close();
        }
        CheckResult refused = probe(t, new HttpChecker(), new InetSocketAddress(LO, freePort()),
                config(http("/", List.of("200"), null, null, 1000), Duration.ofSeconds(2)));
        assertThat(refused.up()).isFalse();
        assertThat(refused.detail()).containsIgnoringCase("refused");
    }

    /**
     * A request Netty cannot send (a path with a space) is down at once, saying so, without connecting: to a closed
     * port, a probe that connected first would read "Connection refused".
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void aRequestThatCannotBeSentIsDownWithoutAConnection(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        CheckResult r = probe(t, new HttpChecker(), new InetSocketAddress(LO, freePort()),
                config(http("/a b", List.of("200"), null, null, 1000), Duration.ofSeconds(3)));
        assertThat(r.up()).isFalse();
        assertThat(r.detail()).startsWith("request: ").doesNotContainIgnoringCase("refused");
    }

    /**
     * An HTTP probe acknowledges the server's SYN-ACK with its request, not with a packet of its own: the connection
     * reaches the server's accept queue only with the request, so the request is readable the moment accept returns.
     * (With an acknowledgement of its own, accept returns on it, and the request follows.)
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void anHttpRequestCarriesTheHandshakesLastAcknowledgement(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        try (ServerSocket ss = new ServerSocket(0, 50, LO)) {
            CompletableFuture<Integer> readable = CompletableFuture.supplyAsync(() -> {
                try (Socket c = ss.accept()) {
                    int n = c.getInputStream().available();
                    c.getInputStream().read(new byte[4096]);
                    c.getOutputStream().write("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    return n;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            CheckResult r = probe(t, new HttpChecker(), new InetSocketAddress(LO, ss.getLocalPort()),
                    config(http("/", List.of("200"), null, null, 1000), Duration.ofSeconds(5)));
            assertThat(r).extracting(CheckResult::up, CheckResult::detail).containsExactly(true, "HTTP 200");
            assertThat(readable.get(5, TimeUnit.SECONDS)).as("request bytes readable at accept").isPositive();
        }
    }

    /**
     * A raw server: a body that ends only with the connection (no Content-Length), longer than one readiness's reads,
     * is read to its end; a server that closes without answering is down, saying so.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void httpReadsABodyThatEndsWithTheConnectionAndNoticesAServerThatHangsUp(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        try (ServerSocket ss = new ServerSocket(0, 50, LO)) {
            AtomicReference<Boolean> answer = new AtomicReference<>(true);
            Thread server = new Thread(() -> {
                while (!ss.isClosed()) {
                    try (Socket c = ss.accept()) {
                        byte[] req = new byte[4096];
                        int n = c.getInputStream().read(req); // the request, whole on loopback
                        if (n > 0 && answer.get()) {
                            c.getOutputStream().write(("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                                    + "x".repeat(100_000) + "END").getBytes(StandardCharsets.US_ASCII));
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            server.setDaemon(true);
            server.start();
            InetSocketAddress target = new InetSocketAddress(LO, ss.getLocalPort());
            CheckResult whole = probe(t, new HttpChecker(), target,
                    config(http("/", List.of("200"), "x{1000}END$", null, 1 << 20), Duration.ofSeconds(5)));
            assertThat(whole).extracting(CheckResult::up, CheckResult::detail).containsExactly(true, "HTTP 200, body matches");
            answer.set(false);
            CheckResult hungUp = probe(t, new HttpChecker(), target,
                    config(http("/", List.of("200"), null, null, 1000), Duration.ofSeconds(5)));
            assertThat(hungUp).extracting(CheckResult::up, CheckResult::detail)
                    .containsExactly(false, "connection closed before a response");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void httpsWithSniAndASelfSignedCertificate(String kind, @TempDir Path dir) throws Exception {
        ProbeTransport t = transportFor(kind);
        Path ks = dir.resolve("ks.p12");
        Process kt = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "secret", "-alias", "s",
                "-keyalg", "EC", "-dname", "CN=www.example.test", "-validity", "2").redirectErrorStream(true).start();
        String ktOut = new String(kt.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(kt.waitFor()).as(ktOut).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "secret".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "secret".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        AtomicReference<String> sni = new AtomicReference<>("none");
        HttpsServer https = HttpsServer.create(new InetSocketAddress(LO, 0), 16);
        https.setHttpsConfigurator(new HttpsConfigurator(ssl) {
            @Override
            public void configure(com.sun.net.httpserver.HttpsParameters p) {
                SSLParameters params = ssl.getDefaultSSLParameters();
                params.setSNIMatchers(List.of(new javax.net.ssl.SNIMatcher(0) {
                    @Override
                    public boolean matches(javax.net.ssl.SNIServerName name) {
                        sni.set(new SNIHostName(name.getEncoded()).getAsciiName());
                        return true;
                    }
                }));
                p.setSSLParameters(params);
            }
        });
        https.createContext("/", x -> reply(x, 200, "secure\n"));
        https.start();
        try {
            CheckSpec.Http spec = new CheckSpec.Http(true, "GET", "/", null, "www.example.test",
                    List.of(CheckSpec.StatusRange.parse("200")), Pattern.compile("secure"), null, 1000, "1.1");
            CheckResult r = probe(t, new HttpChecker(), new InetSocketAddress(LO, https.getAddress().getPort()),
                    config(spec, Duration.ofSeconds(5)));
            assertThat(r.up()).as(r.detail()).isTrue();
            assertThat(sni.get()).isEqualTo("www.example.test");
            // Nor is the name checked: a check that names another host than the certificate's still passes.
            CheckSpec.Http other = new CheckSpec.Http(true, "GET", "/", null, "other.example.test",
                    List.of(CheckSpec.StatusRange.parse("200")), Pattern.compile("secure"), null, 1000, "1.1");
            CheckResult r2 = probe(t, new HttpChecker(), new InetSocketAddress(LO, https.getAddress().getPort()),
                    config(other, Duration.ofSeconds(5)));
            assertThat(r2.up()).as(r2.detail()).isTrue();
            assertThat(sni.get()).isEqualTo("other.example.test");
            // Plain HTTP to the TLS port is not a healthy web server.
            CheckResult plain = probe(t, new HttpChecker(), new InetSocketAddress(LO, https.getAddress().getPort()),
                    config(http("/", List.of("200"), null, null, 1000), Duration.ofSeconds(2)));
            assertThat(plain.up()).isFalse();
        } finally {
            https.stop(0);
        }
    }

    // ---- udp

    @Test
    void udpEchoMatchesTheExpectedReplyInEveryForm() throws Exception {
        try (DatagramSocket echo = new DatagramSocket(0, LO)) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[1500];
                while (!echo.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        echo.receive(p);
                        byte[] in = java.util.Arrays.copyOf(p.getData(), p.getLength());
                        byte[] out = ("pong " + new String(in, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1);
                        echo.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "udp-echo");
            t.setDaemon(true);
            t.start();
            InetSocketAddress to = new InetSocketAddress(LO, echo.getLocalPort());
            String ping = HexFormat.of().formatHex("ping".getBytes(StandardCharsets.US_ASCII));
            for (CheckSpec.Expect e : List.of(new CheckSpec.Expect(CheckSpec.Expect.Kind.EXACT, "pong ping"),
                    new CheckSpec.Expect(CheckSpec.Expect.Kind.REGEX, "^pong p.ng$"),
                    new CheckSpec.Expect(CheckSpec.Expect.Kind.HEX, "706f6e6??0"))) {
                CheckResult r = probe(new UdpChecker(), to, config(new CheckSpec.Udp(ping, e), Duration.ofSeconds(2)));
                assertThat(r.up()).as(e + ": " + r.detail()).isTrue();
            }
            CheckResult wrong = probe(new UdpChecker(), to, config(new CheckSpec.Udp(ping,
                    new CheckSpec.Expect(CheckSpec.Expect.Kind.EXACT, "pang")), Duration.ofSeconds(2)));
            assertThat(wrong).extracting(CheckResult::up, CheckResult::detail)
                    .containsExactly(false, "reply does not match expect \"pang\": \"pong ping\"");
        }
    }

    @Test
    void udpWithoutAnExpectedReplyIsDownOnPortUnreachableAndUpOnSilence() throws Exception {
        CheckSpec.Udp spec = new CheckSpec.Udp("00", null);
        CheckResult closed = probe(new UdpChecker(), new InetSocketAddress(LO, freeUdpPort()), config(spec, Duration.ofSeconds(2)));
        assertThat(closed).extracting(CheckResult::up, CheckResult::detail).containsExactly(false, "ICMP port unreachable");
        try (DatagramSocket silent = new DatagramSocket(0, LO)) {
            CheckResult r = probe(new UdpChecker(), new InetSocketAddress(LO, silent.getLocalPort()),
                    config(spec, Duration.ofMillis(300)));
            assertThat(r).extracting(CheckResult::up, CheckResult::detail)
                    .containsExactly(true, "no ICMP port unreachable within 300 ms");
            CheckResult expecting = probe(new UdpChecker(), new InetSocketAddress(LO, silent.getLocalPort()),
                    config(new CheckSpec.Udp("00", new CheckSpec.Expect(CheckSpec.Expect.Kind.EXACT, "x")),
                            Duration.ofMillis(300)));
            assertThat(expecting).extracting(CheckResult::up, CheckResult::detail)
                    .containsExactly(false, "no reply within 300 ms");
        }
    }

    // ---- dns

    @Test
    void dnsAgainstAResponderThisTestRuns() throws Exception {
        NioEventLoopGroup g = new NioEventLoopGroup(1);
        closers.add(() -> g.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync());
        Channel server = new Bootstrap().group(g).channel(NioDatagramChannel.class).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                        new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext c, DatagramDnsQuery q) {
                                DnsQuestion question = q.recordAt(DnsSection.QUESTION);
                                DatagramDnsResponse r = new DatagramDnsResponse(q.recipient(), q.sender(), q.id());
                                r.addRecord(DnsSection.QUESTION, question);
                                if (question.name().equals("www.example.test.") && question.type() == DnsRecordType.A) {
                                    r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.A,
                                            60, Unpooled.wrappedBuffer(new byte[] {(byte) 192, 0, 2, 7})));
                                } else {
                                    r.setCode(DnsResponseCode.NXDOMAIN);
                                }
                                c.writeAndFlush(r);
                            }
                        });
            }
        }).bind(LO, 0).sync().channel();
        InetSocketAddress to = new InetSocketAddress(LO, ((InetSocketAddress) server.localAddress()).getPort());
        CheckResult ok = probe(new DnsChecker(), to, config(new CheckSpec.Dns("www.example.test", "A", "192.0.2.7"),
                Duration.ofSeconds(2)));
        assertThat(ok).extracting(CheckResult::up, CheckResult::detail).containsExactly(true, "NOERROR, answer 192.0.2.7");
        CheckResult other = probe(new DnsChecker(), to, config(new CheckSpec.Dns("www.example.test", "A", "192.0.2.8"),
                Duration.ofSeconds(2)));
        assertThat(other).extracting(CheckResult::up, CheckResult::detail)
                .containsExactly(false, "NOERROR but no answer contains \"192.0.2.8\": 192.0.2.7");
        CheckResult nx = probe(new DnsChecker(), to, config(new CheckSpec.Dns("nope.example.test", "A", null),
                Duration.ofSeconds(2)));
        assertThat(nx).extracting(CheckResult::up, CheckResult::detail)
                .containsExactly(false, "DNS NXDOMAIN for nope.example.test A");
        CheckResult gone = probe(new DnsChecker(), new InetSocketAddress(LO, freeUdpPort()),
                config(new CheckSpec.Dns("www.example.test", "A", null), Duration.ofSeconds(2)));
        assertThat(gone).extracting(CheckResult::up, CheckResult::detail).containsExactly(false, "ICMP port unreachable");
        server.close().sync();
    }

    // ---- agent

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bare", "channel"})
    void agentsOverTcpHttpAndACommand(String kind) throws Exception {
        ProbeTransport t = transportFor(kind);
        try (ServerSocket line = new ServerSocket(0, 50, LO)) {
            Thread server = new Thread(() -> {
                while (!line.isClosed()) {
                    try (Socket c = line.accept()) {
                        c.getOutputStream().write("0.25\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            server.setDaemon(true);
            server.start();
            CheckSpec.Agent tcpAgent = new CheckSpec.Agent(null, line.getLocalPort(), null, CheckSpec.Agent.Reports.LOAD,
                    1.0, 0, null, 1);
            CheckResult r = probe(t, new AgentChecker(() -> null), new InetSocketAddress(LO, line.getLocalPort()),
                    config(tcpAgent, Duration.ofSeconds(2)));
            assertThat(r).extracting(CheckResult::up, CheckResult::sample, CheckResult::detail)
                    .containsExactly(true, 0.25, "agent load 0.25");
        }
        CheckSpec.Agent httpAgent = new CheckSpec.Agent(null, http.getAddress().getPort(), "/load",
                CheckSpec.Agent.Reports.IDLE, 1.0, 0, null, 1);
        CheckResult h = probe(t, new AgentChecker(() -> null), new InetSocketAddress(LO, http.getAddress().getPort()),
                config(httpAgent, Duration.ofSeconds(2)));
        assertThat(h).extracting(CheckResult::up, CheckResult::sample).containsExactly(true, 80.0);
        CheckResult missing = probe(t, new AgentChecker(() -> null), new InetSocketAddress(LO, http.getAddress().getPort()),
                config(new CheckSpec.Agent(null, http.getAddress().getPort(), "/missing", CheckSpec.Agent.Reports.IDLE,
                        1.0, 0, null, 1), Duration.ofSeconds(2)));
        assertThat(missing).extracting(CheckResult::up, CheckResult::detail).containsExactly(false, "agent HTTP 404");
        try (io.lvsd.linux.proc.ScriptRunner runner = new io.lvsd.linux.proc.ScriptRunner(
                System.getProperty("user.name"), 1, "agent-test")) {
            CheckSpec.Agent cmd = new CheckSpec.Agent(io.lvsd.linux.proc.Command.parse("/bin/echo weight 12"), null, null,
                    CheckSpec.Agent.Reports.WEIGHT, 1.0, 0, null, 1);
            CheckResult c = probe(t, new AgentChecker(() -> runner), new InetSocketAddress(LO, 1), config(cmd, Duration.ofSeconds(5)));
            assertThat(c).extracting(CheckResult::up, CheckResult::sample).containsExactly(true, 12.0);
            CheckSpec.Agent silent = new CheckSpec.Agent(io.lvsd.linux.proc.Command.parse("/bin/echo busy"), null, null,
                    CheckSpec.Agent.Reports.WEIGHT, 1.0, 0, null, 1);
            CheckResult none = probe(t, new AgentChecker(() -> runner), new InetSocketAddress(LO, 1), config(silent, Duration.ofSeconds(5)));
            assertThat(none).extracting(CheckResult::up, CheckResult::detail).containsExactly(false, "agent said \"busy\": no number");
        }
    }

    // ---- helpers

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LO)) {
            return s.getLocalPort();
        }
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, LO)) {
            return s.getLocalPort();
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
