package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.testkit.Fuzz;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ResourceLeakDetector;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What real servers send back, {@link Fuzz#TRIES} generated inputs per property (real responses with a few edits,
 * and noise): HTTP responses read through Netty's client codec into the checker's handler, DNS datagrams through
 * the checker's decoder into its judgement, UDP replies against each expect form, agent replies (HAProxy
 * agent-check style, long digit strings) and status-range and digest texts. Asserted: every response ends in a
 * verdict, up only when it is right and down with a reason naming what was wrong, never an exception, within the
 * allocation bound whatever a Content-Length, DNS count or name pointer claims; the checker's DNS name reader
 * agrees with Netty's within RFC 1035's limit; the parsers give a value that round-trips or an
 * IllegalArgumentException naming the field and the bad value.
 */
class CheckResponsePropertyTest {
    static ProbeTransport transport;

    @BeforeAll
    static void transport() {
        transport = ProbeTransport.create(1);
        // Netty's leak detector sets itself up (about 60 KB) at the first buffer it samples, one in 128, at random:
        // have it do so now, not inside a reply whose allocation is being measured.
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ByteBufAllocator.DEFAULT.heapBuffer(1).release();
        ByteBufAllocator.DEFAULT.directBuffer(1).release();
        ResourceLeakDetector.setLevel(level);
    }

    @AfterAll
    static void close() {
        transport.close();
    }

    static CheckConfig config(CheckSpec spec) {
        return new CheckConfig(Duration.ofSeconds(1), Duration.ofSeconds(1), 1, Duration.ofSeconds(1), 1,
                false, false, null, null, null, null, null, false, spec);
    }

    static ProbeContext context(EmbeddedChannel ch, CheckSpec spec, int port, AtomicReference<CheckResult> result) {
        return new ProbeContext(new InetSocketAddress("127.0.0.1", port), config(spec), ch.eventLoop(), transport,
                System::nanoTime, result::set);
    }

    // ---- HTTP ----

    static final String OK_SHA256 = HttpChecker.digest("SHA-256", "ok".getBytes(StandardCharsets.US_ASCII));
    /** Up only for a 2xx whose whole body is "ok": the regex finds it, and the digest is that of "ok". */
    static final CheckSpec.Http SPEC = new CheckSpec.Http(false, "GET", "/", null, null,
            List.of(CheckSpec.StatusRange.parse("200-299")), Pattern.compile("ok"),
            CheckSpec.Digest.parse("sha256:" + OK_SHA256), 64, "1.1");

    static List<byte[]> responses() {
        List<byte[]> r = new ArrayList<>();
        for (String s : List.of(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Fri, 04 Dec 2026 03:00:00 GMT\r\n"
                        + "Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=1\r\no\r\n1\r\nk\r\n0\r\nX-T: 1\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\nok\r\n0\r\n\r\n",
                "HTTP/1.1 204 No Content\r\n\r\n",
                "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.0 200 OK\r\n\r\nok and more than sixty-four bytes of body, so that max-bytes cuts it short here",
                "HTTP/1.1 200 OK\r\nContent-Length: 4000000000\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
                "HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n")) {
            r.add(s.getBytes(StandardCharsets.ISO_8859_1));
        }
        return r;
    }

    /** What the checker made of one response: the status and body it fetched (if it got that far), the verdict. */
    record Seen(Integer status, byte[] body, CheckResult verdict) {
    }

    /**
     * A probe with its request sent, waiting for the response: it reads one through the codec and the checker's
     * handler, as a server would send it and close.
     */
    static Function<byte[], Seen> httpProbe() {
        EmbeddedChannel ch = new EmbeddedChannel();
        AtomicReference<CheckResult> result = new AtomicReference<>();
        AtomicReference<Integer> status = new AtomicReference<>();
        AtomicReference<byte[]> body = new AtomicReference<>();
        ProbeContext ctx = context(ch, SPEC, 80, result);
        HttpChecker.Fetched verdict = HttpChecker.verdict(ctx, SPEC, true);
        ch.pipeline().addLast(new HttpClientCodec(), new HttpChecker.Response(SPEC, ctx, true, (s, b, t) -> {
            status.set(s);
            body.set(b);
            verdict.accept(s, b, t);
        }));
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
        ch.releaseOutbound();
        return response -> {
            ch.writeInbound(Unpooled.wrappedBuffer(response));
            ch.close(); // the server closes: a response not yet complete ends here
            ch.checkException();
            ch.finishAndReleaseAll();
            return new Seen(status.get(), body.get(), result.get());
        };
    }

    /**
     * {@link Fuzz#allocationBounded} for a decoder that lives in a channel: asserts what reading {@code input}
     * allocates, after a first run has loaded its path, not counting the channel built before it; returns what it
     * read.
     */
    static <T> T allocationBounded(byte[] input, Supplier<Function<byte[], T>> probe) {
        probe.get().apply(input);
        Function<byte[], T> fresh = probe.get();
        List<T> read = new ArrayList<>(1);
        long got = Fuzz.allocated(() -> read.add(fresh.apply(input)));
        assertThat(got).as("reading %d bytes allocated %d bytes", input.length, got)
                .isLessThanOrEqualTo(Fuzz.allocationBound(input.length));
        return read.get(0);
    }

    @Test
    void anyHttpResponseEndsInAVerdictNamingWhatWasWrong() {
        int[] ups = {0};
        Fuzz.forAll(Fuzz.mutated(responses()), bytes -> {
            Seen seen = allocationBounded(bytes, CheckResponsePropertyTest::httpProbe);
            CheckResult v = seen.verdict();
            assertThat(v).as("a verdict").isNotNull();
            assertThat(v.detail()).as("its reason").isNotBlank()
                    .as("no exception reached the handler").doesNotStartWith("HTTP: ");
            if (seen.status() == null) {
                assertThat(v.up()).as("no response, no up").isFalse();
                assertThat(v.detail()).containsAnyOf("bad HTTP response", "connection closed");
                return;
            }
            int s = seen.status();
            assertThat(seen.body().length).as("body kept").isLessThanOrEqualTo(SPEC.maxBytes());
            if (!SPEC.accepts(s)) {
                assertThat(v.up()).isFalse();
                assertThat(v.detail()).as("names the status").startsWith("HTTP " + s + " (expected");
            } else if (v.up()) {
                assertThat(seen.body()).as("up only for the body \"ok\"").isEqualTo("ok".getBytes());
                ups[0]++;
            } else {
                assertThat(v.detail()).as("names the body's fault").startsWith("HTTP " + s + ": body");
            }
        });
        assertThat(ups[0]).as("the inputs reach an up").isPositive();
    }

    // ---- DNS ----

    static ByteBuf name(String n) {
        ByteBuf b = Unpooled.buffer();
        for (String label : n.split("\\.")) {
            b.writeByte(label.length()).writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        return b.writeByte(0);
    }

    /**
     * Responses as a server encodes them: every record type the checker reads, as raw records, and a compressed
     * CNAME chain ending in the expected A record, as a recursive resolver writes it.
     */
    static List<byte[]> dnsResponses() {
        List<byte[]> out = new ArrayList<>();
        Object[][] records = {
                {DnsRecordType.A, Unpooled.wrappedBuffer(new byte[] {10, 0, 0, 1})},
                {DnsRecordType.AAAA, Unpooled.wrappedBuffer(new byte[16])},
                {DnsRecordType.CNAME, name("www.example.org")},
                {DnsRecordType.MX, Unpooled.buffer().writeShort(10).writeBytes(name("mx.example.org"))},
                {DnsRecordType.SRV, Unpooled.buffer().writeShort(1).writeShort(2).writeShort(443)
                        .writeBytes(name("s.example.org"))},
                {DnsRecordType.TXT, Unpooled.buffer().writeByte(2).writeBytes("ok".getBytes())},
                {DnsRecordType.SOA, Unpooled.buffer().writeBytes(name("ns.example.org"))
                        .writeBytes(name("root.example.org")).writeZero(20)}};
        for (Object[] rec : records) {
            DatagramDnsResponse r = new DatagramDnsResponse(new InetSocketAddress("127.0.0.1", 53),
                    new InetSocketAddress("127.0.0.1", 40000), 7);
            r.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion("example.org", (DnsRecordType) rec[0]));
            r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord("example.org", (DnsRecordType) rec[0], 60,
                    (ByteBuf) rec[1]));
            EmbeddedChannel enc = new EmbeddedChannel(new DatagramDnsResponseEncoder());
            enc.writeOutbound(r);
            DatagramPacket p = enc.readOutbound();
            out.add(io.netty.buffer.ByteBufUtil.getBytes(p.content()));
            p.release();
        }
        // id 7, QR RD RA, 1 question, 2 answers: example.org CNAME www.example.org (www + pointer to the
        // question's name), then www.example.org (a pointer to the CNAME's data) A 10.0.0.1 (RFC 1035 4.1.4).
        out.add(HexFormat.of().parseHex("000781800001000200000000" + "076578616d706c65036f726700" + "00010001"
                + "c00c" + "0005" + "0001" + "0000003c" + "0006" + "03777777" + "c00c"
                + "c029" + "0001" + "0001" + "0000003c" + "0004" + "0a000001"));
        // the same query answered NXDOMAIN
        out.add(HexFormat.of().parseHex("000781830001000000000000" + "076578616d706c65036f726700" + "00010001"));
        return out;
    }

    static final CheckSpec.Dns DNS = new CheckSpec.Dns("example.org", "A", "10.0.0.1");

    /** A probe waiting for its answer: it reads one datagram through the checker's decoder and judgement. */
    static Function<byte[], CheckResult> dnsProbe() {
        EmbeddedChannel ch = new EmbeddedChannel(DnsChecker.responseDecoder());
        AtomicReference<CheckResult> result = new AtomicReference<>();
        ProbeContext ctx = context(ch, DNS, 53, result);
        InetSocketAddress us = new InetSocketAddress("127.0.0.1", 40000);
        InetSocketAddress server = new InetSocketAddress("127.0.0.1", 53);
        return datagram -> {
            DatagramDnsResponse r;
            try {
                ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(datagram), us, server));
                r = ch.readInbound();
            } catch (DecoderException rejected) { // the handler's exceptionCaught: down, naming the decoder's reason
                ctx.down("DNS: " + ProbeTransport.message(rejected));
                return result.get();
            }
            try {
                DnsChecker.judge(ctx, DNS, r);
            } finally {
                r.release();
            }
            return result.get();
        };
    }

    @Test
    void anyDnsResponseEndsInAVerdictNamingWhatWasWrong() {
        int[] ups = {0};
        int[] names = {0};
        List<byte[]> seeds = dnsResponses();
        assertThat(dnsProbe().apply(seeds.get(7))).as("the CNAME chain").extracting(CheckResult::up).isEqualTo(true);
        byte[] control = seeds.get(7).clone();
        control[13] = 1; // the question name's first character
        assertThat(allocationBounded(control, CheckResponsePropertyTest::dnsProbe).detail())
                .isEqualTo("DNS: name has octet 0x01, not printable ASCII");
        Fuzz.forAll(Fuzz.mutated(seeds), bytes -> {
            CheckResult v = allocationBounded(bytes, CheckResponsePropertyTest::dnsProbe);
            assertThat(v).as("a verdict").isNotNull();
            if (v.up()) {
                assertThat(v.detail()).startsWith("NOERROR, answer ").contains("10.0.0.1");
                ups[0]++;
            } else {
                assertThat(v.detail()).as("names the fault").matches("DNS( |: ).+|NOERROR but no answer contains "
                        + "\"10\\.0\\.0\\.1\".*");
            }
            names[0] += namesAgreeWithNetty(bytes);
        });
        assertThat(ups[0]).as("the inputs reach an up").isPositive();
        assertThat(names[0]).as("names read").isGreaterThan(Fuzz.TRIES);
    }

    /**
     * The checker's name reader against Netty's, at the names the seeds hold: the same name and position, or the
     * same error, except for names over RFC 1035's 255 octets, which Netty reads round their loops. Returns how many
     * names both read.
     */
    static int namesAgreeWithNetty(byte[] bytes) {
        int agreed = 0;
        for (int at : new int[] {12, 29, 41, 47}) {
            if (at >= bytes.length) {
                break;
            }
            ByteBuf ours = Unpooled.wrappedBuffer(bytes).readerIndex(at);
            ByteBuf netty = Unpooled.wrappedBuffer(bytes).readerIndex(at);
            String name;
            try {
                name = DnsChecker.decodeName(ours);
            } catch (CorruptedFrameException e) {
                if (e.getMessage().startsWith("label of ")) {
                    // Netty 4.2 rejects it too, in its own words
                    assertThatThrownBy(() -> DefaultDnsRecordDecoder.decodeName(netty)).hasMessageContaining("63");
                } else if (!e.getMessage().startsWith("name longer than")) {
                    assertThatThrownBy(() -> DefaultDnsRecordDecoder.decodeName(netty))
                            .hasMessageStartingWith(e.getMessage());
                }
                continue;
            }
            assertThat(name).as("the name at %d", at).isEqualTo(DefaultDnsRecordDecoder.decodeName(netty));
            assertThat(ours.readerIndex()).as("after the name at %d", at).isEqualTo(netty.readerIndex());
            agreed++;
        }
        return agreed;
    }

    // ---- UDP ----

    static final List<CheckSpec.Udp> UDP = List.of(new CheckSpec.Udp("70696e67", null),
            new CheckSpec.Udp("70696e67", new CheckSpec.Expect(CheckSpec.Expect.Kind.EXACT, "pong ping")),
            new CheckSpec.Udp("70696e67", new CheckSpec.Expect(CheckSpec.Expect.Kind.REGEX, "^pong p.ng$")),
            new CheckSpec.Udp("70696e67", new CheckSpec.Expect(CheckSpec.Expect.Kind.HEX, "706f6e6??0")));

    /** The expect-hex rule, written apart from the checker's: each non-? nibble equals the reply's. */
    static boolean hexMatches(String want, byte[] reply) {
        if (reply.length * 2 < want.length()) {
            return false;
        }
        for (int i = 0; i < want.length(); i++) {
            int nibble = i % 2 == 0 ? (reply[i / 2] >> 4) & 0xf : reply[i / 2] & 0xf;
            if (want.charAt(i) != '?' && Character.digit(want.charAt(i), 16) != nibble) {
                return false;
            }
        }
        return true;
    }

    @Test
    void anyUdpReplyIsUpWhenItMatchesAndOtherwiseDownShowingIt() {
        int[][] verdicts = new int[UDP.size()][2];
        List<byte[]> seeds = List.of("pong ping".getBytes(), "pong pang".getBytes(), "pon".getBytes(), new byte[0],
                HexFormat.of().parseHex("706f6e6700ff"));
        Fuzz.forAll(Fuzz.oneOf(Fuzz.mutated(seeds), Fuzz.bytes(200)), reply -> {
            for (int i = 0; i < UDP.size(); i++) {
                CheckSpec.Udp spec = UDP.get(i);
                CheckResult v = UdpChecker.judge(spec, reply, 1);
                verdicts[i][v.up() ? 1 : 0]++;
                CheckSpec.Expect e = spec.expect();
                if (e == null) {
                    assertThat(v.up()).isTrue();
                    assertThat(v.detail()).isEqualTo("reply of " + reply.length + " bytes");
                    continue;
                }
                if (e.kind() == CheckSpec.Expect.Kind.EXACT) {
                    assertThat(v.up()).isEqualTo(Arrays.equals(reply, e.value().getBytes(StandardCharsets.ISO_8859_1)));
                } else if (e.kind() == CheckSpec.Expect.Kind.HEX) {
                    assertThat(v.up()).isEqualTo(hexMatches(e.value(), reply));
                }
                if (!v.up()) {
                    assertThat(v.detail()).as("names the expectation").contains("does not match")
                            .contains(e.value()).hasSizeLessThan(200);
                }
            }
            Fuzz.allocationBounded(reply, b -> UDP.stream().map(spec -> UdpChecker.judge(spec, b, 1)).toList());
        });
        for (int i = 1; i < UDP.size(); i++) {
            assertThat(verdicts[i]).as("the inputs reach both verdicts for %s", UDP.get(i).expect()).doesNotContain(0);
        }
    }

    // ---- agent ----

    /** Replies as agents send them: HAProxy agent-check words and percentages, feedbackd-style numbers. */
    static final List<byte[]> AGENT_REPLIES = List.of("75%\n", "up 75% maxconn:30\n", "ready\n", "drain\n",
            "down #disk full\n", "0.75\n", "idle 42%\n", "load: 1.5 2.0 3.0\n", "weight 12\n", "-1\n")
            .stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();

    static final CheckSpec.Agent AGENT = new CheckSpec.Agent(null, 9999, null, CheckSpec.Agent.Reports.LOAD, 2.0, 1,
            50, 0.5);

    @Test
    void anyAgentReplyGivesASampleOrDownNamingTheReply() {
        Generator<byte[]> mutated = Fuzz.mutated(AGENT_REPLIES);
        Generator<String> replies = Fuzz.oneOf(r -> new String(mutated.generate(r), StandardCharsets.UTF_8),
                r -> new String(Fuzz.bytes(80).generate(r), StandardCharsets.ISO_8859_1),
                r -> r.digits(r.intRange(1, 400)),
                r -> "-" + r.digits(r.intRange(1, 30)) + "%",
                r -> r.alphanumeric(r.intRange(0, 40)) + " " + r.digits(r.intRange(1, 5)) + "." + r.digits(3));
        Fuzz.forAll(replies, text -> {
            CheckResult v = AgentChecker.judge(AGENT, text, 1);
            if (v.up()) {
                assertThat(v.sample()).as("a sample").isNotNull();
                assertThat(v.detail()).startsWith("agent load ");
                assertThat(AgentChecker.weight(AGENT, v.sample(), 10)).isBetween(1, 50);
            } else {
                assertThat(v.detail()).as("shows the reply and what was wrong").startsWith("agent said \"")
                        .matches("(?s).*\": [a-z ]+");
            }
            assertThat(v.detail().length()).as("at most 80 characters of the reply shown").isLessThan(130);
            Fuzz.allocationBounded(text.getBytes(StandardCharsets.UTF_8),
                    b -> AgentChecker.judge(AGENT, new String(b, StandardCharsets.UTF_8), 1));
        });
    }

    // ---- status ranges and digests ----

    /** {@code field: value (expected ...)}, the value quoted when it is text. */
    static final Pattern NAMED = Pattern.compile("(?s)(\\w+): \"?(.*?)\"? \\(expected .*\\)");

    /** The bad value an IllegalArgumentException names. */
    static String named(String message, String field) {
        Matcher m = NAMED.matcher(message);
        assertThat(m.matches() && m.group(1).equals(field)).as("\"%s\" reads %s: value (expected ...)", message, field)
                .isTrue();
        return m.group(2);
    }

    @Test
    void statusRangesAndDigestsParseOrNameTheInput() {
        Generator<String> texts = Fuzz.oneOf(
                r -> r.digits(r.intRange(0, 5)) + r.oneOf("", "-", "--", " - ") + r.digits(r.intRange(0, 5)),
                r -> r.oneOf("", " ", "\t") + r.intRange(0, 999) + (r.trueOrFalse() ? "" : "-" + r.intRange(0, 999))
                        + r.oneOf("", " "),
                r -> r.alphanumeric(r.intRange(0, 12)),
                r -> r.oneOf("md5:", "MD5:", "sha256:", "SHA256:", "sha1:", ":", "")
                        + r.oneOf("", "0123456789abcdef").repeat(r.intRange(0, 4))
                        + r.oneOf("", "d41d8c", "D41D8C") + r.oneOf("", "0", "g", "İ", "٣"),
                r -> r.oneOf("md5:", "sha256:") + r.alphanumeric(r.intRange(0, 70)),
                r -> new String(Fuzz.bytes(40).generate(r), StandardCharsets.UTF_8));
        int[] parsed = {0, 0};
        Fuzz.forAll(texts, text -> {
            try {
                CheckSpec.StatusRange s = CheckSpec.StatusRange.parse(text);
                parsed[0]++;
                assertThat(s.from()).isBetween(100, s.to());
                assertThat(s.to()).isLessThanOrEqualTo(599);
                assertThat(CheckSpec.StatusRange.parse(s.toString())).as("round trip").isEqualTo(s);
            } catch (IllegalArgumentException e) {
                assertThat(text).as("names the input, or the number in it that is wrong")
                        .contains(named(e.getMessage(), "status"));
            }
            try {
                CheckSpec.Digest d = CheckSpec.Digest.parse(text);
                parsed[1]++;
                assertThat(d.hex()).hasSize(d.algorithm().equals("md5") ? 32 : 64).matches("[0-9a-f]+");
                assertThat(CheckSpec.Digest.parse(d.algorithm() + ":" + d.hex())).as("round trip").isEqualTo(d);
            } catch (IllegalArgumentException e) {
                String value = named(e.getMessage(), "digest");
                assertThat(text.contains(value) || text.toLowerCase(Locale.ROOT).contains(value))
                        .as("\"%s\" names the input, or the part of it that is wrong", e.getMessage()).isTrue();
            }
        });
        assertThat(parsed).as("the inputs reach valid ranges and digests").doesNotContain(0);
    }
}
