package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Fuzz;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the checkers handle what real servers send back, against {@link Fuzz#TRIES} generated inputs per property:
 * HTTP responses (real ones with a few edits, and noise) read through Netty's codec into the checker's handler
 * always end in a verdict, up or down with a reason, never an exception, and keep at most {@code max-bytes} of a
 * body whatever its Content-Length claims; DNS responses (encoded answers of every type the checker reads, with
 * edits) decode to a verdict, or to the decoder's error that the checker reports as down; UDP replies against the three expect forms, and agent replies, give an
 * answer, never an exception; the status-range and digest parsers give a value or an IllegalArgumentException
 * naming the input.
 */
class CheckResponsePropertyTest {
    static ProbeTransport transport;

    @BeforeAll
    static void transport() {
        transport = ProbeTransport.create(1);
    }

    @AfterAll
    static void close() {
        transport.close();
    }

    static final CheckSpec.Http SPEC = new CheckSpec.Http(false, "GET", "/", null, null,
            List.of(CheckSpec.StatusRange.parse("200-299")), Pattern.compile("ok"),
            CheckSpec.Digest.parse("sha256:" + "0".repeat(64)), 64, "1.1");

    static List<byte[]> responses() {
        List<byte[]> r = new ArrayList<>();
        for (String s : List.of(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.0 200 OK\r\n\r\nok and more than sixty-four bytes of body, so that max-bytes cuts it short here",
                "HTTP/1.1 200 OK\r\nContent-Length: 4000000000\r\n\r\nok",
                "HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n")) {
            r.add(s.getBytes(StandardCharsets.ISO_8859_1));
        }
        return r;
    }

    @Test
    void anyHttpResponseEndsInAVerdictAndKeepsAtMostMaxBytes() throws Exception {
        CheckConfig config = new CheckConfig(Duration.ofSeconds(1), Duration.ofSeconds(1), 1, Duration.ofSeconds(1), 1,
                false, false, null, null, null, null, null, SPEC);
        Fuzz.forAll(Fuzz.mutated(responses()), bytes -> {
            EmbeddedChannel ch = new EmbeddedChannel();
            AtomicReference<CheckResult> result = new AtomicReference<>();
            AtomicReference<byte[]> body = new AtomicReference<>();
            ProbeContext ctx = new ProbeContext(new InetSocketAddress("127.0.0.1", 80), config, ch.eventLoop(),
                    transport, System::nanoTime, result::set);
            HttpChecker.Fetched verdict = HttpChecker.verdict(ctx, SPEC, true);
            ch.pipeline().addLast(new HttpClientCodec(), new HttpChecker.Response(SPEC, ctx, true, (s, b, t) -> {
                body.set(b);
                verdict.accept(s, b, t);
            }));
            ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
            ch.releaseOutbound();
            ch.writeInbound(Unpooled.wrappedBuffer(bytes));
            ch.close(); // the server closes: a response not yet complete ends here
            ch.checkException();
            assertThat(result.get()).as("a verdict").isNotNull();
            assertThat(result.get().detail()).as("with its reason").isNotBlank();
            if (body.get() != null) {
                assertThat(body.get().length).as("body kept").isLessThanOrEqualTo(SPEC.maxBytes());
            }
        });
    }

    /** Responses as a server encodes them: every record type the checker reads, as raw records. */
    static List<byte[]> dnsResponses() {
        List<byte[]> out = new ArrayList<>();
        java.util.function.Function<String, io.netty.buffer.ByteBuf> name = n -> {
            io.netty.buffer.ByteBuf b = Unpooled.buffer();
            for (String label : n.split("\\.")) {
                b.writeByte(label.length()).writeBytes(label.getBytes(StandardCharsets.US_ASCII));
            }
            return b.writeByte(0);
        };
        Object[][] records = {
                {io.netty.handler.codec.dns.DnsRecordType.A, Unpooled.wrappedBuffer(new byte[] {10, 0, 0, 1})},
                {io.netty.handler.codec.dns.DnsRecordType.AAAA, Unpooled.wrappedBuffer(new byte[16])},
                {io.netty.handler.codec.dns.DnsRecordType.CNAME, name.apply("www.example.org")},
                {io.netty.handler.codec.dns.DnsRecordType.MX, Unpooled.buffer().writeShort(10)
                        .writeBytes(name.apply("mx.example.org"))},
                {io.netty.handler.codec.dns.DnsRecordType.SRV, Unpooled.buffer().writeShort(1).writeShort(2)
                        .writeShort(443).writeBytes(name.apply("s.example.org"))},
                {io.netty.handler.codec.dns.DnsRecordType.TXT, Unpooled.buffer().writeByte(2).writeBytes("ok".getBytes())},
                {io.netty.handler.codec.dns.DnsRecordType.SOA, Unpooled.buffer().writeBytes(name.apply("ns.example.org"))
                        .writeBytes(name.apply("root.example.org")).writeZero(20)}};
        for (Object[] rec : records) {
            io.netty.handler.codec.dns.DatagramDnsResponse r = new io.netty.handler.codec.dns.DatagramDnsResponse(
                    new InetSocketAddress("127.0.0.1", 53), new InetSocketAddress("127.0.0.1", 40000), 7);
            r.addRecord(io.netty.handler.codec.dns.DnsSection.QUESTION,
                    new io.netty.handler.codec.dns.DefaultDnsQuestion("example.org",
                            (io.netty.handler.codec.dns.DnsRecordType) rec[0]));
            r.addRecord(io.netty.handler.codec.dns.DnsSection.ANSWER, new io.netty.handler.codec.dns.DefaultDnsRawRecord(
                    "example.org", (io.netty.handler.codec.dns.DnsRecordType) rec[0], 60, (io.netty.buffer.ByteBuf) rec[1]));
            EmbeddedChannel enc = new EmbeddedChannel(new io.netty.handler.codec.dns.DatagramDnsResponseEncoder());
            enc.writeOutbound(r);
            io.netty.channel.socket.DatagramPacket p = enc.readOutbound();
            byte[] b = new byte[p.content().readableBytes()];
            p.content().readBytes(b);
            p.release();
            out.add(b);
        }
        return out;
    }

    @Test
    void anyDnsResponseEndsInAVerdictOrTheDecodersError() throws Exception {
        CheckSpec.Dns spec = new CheckSpec.Dns("example.org", "A", "10.0.0.1");
        CheckConfig config = new CheckConfig(Duration.ofSeconds(1), Duration.ofSeconds(1), 1, Duration.ofSeconds(1), 1,
                false, false, null, null, null, null, null, spec);
        Fuzz.forAll(Fuzz.mutated(dnsResponses()), bytes -> {
            EmbeddedChannel ch = new EmbeddedChannel(new io.netty.handler.codec.dns.DatagramDnsResponseDecoder());
            io.netty.handler.codec.dns.DatagramDnsResponse r;
            try {
                ch.writeInbound(new io.netty.channel.socket.DatagramPacket(Unpooled.wrappedBuffer(bytes),
                        new InetSocketAddress("127.0.0.1", 40000), new InetSocketAddress("127.0.0.1", 53)));
                r = ch.readInbound();
            } catch (io.netty.handler.codec.DecoderException | IndexOutOfBoundsException rejected) {
                return; // the checker's handler turns a decoder's exception into "DNS: ..." down (exceptionCaught)
            }
            if (r == null) {
                return;
            }
            try {
                AtomicReference<CheckResult> result = new AtomicReference<>();
                ProbeContext ctx = new ProbeContext(new InetSocketAddress("127.0.0.1", 53), config, ch.eventLoop(),
                        transport, System::nanoTime, result::set);
                DnsChecker.judge(ctx, spec, r);
                assertThat(result.get()).as("a verdict").isNotNull();
                assertThat(result.get().detail()).isNotBlank();
            } finally {
                r.release();
            }
        });
    }

    static final Generator<byte[]> REPLIES = Fuzz.bytes(200);

    @Test
    void anyUdpReplyMatchesOrNotForEveryExpectForm() {
        List<CheckSpec.Expect> expects = List.of(new CheckSpec.Expect(CheckSpec.Expect.Kind.EXACT, "pong"),
                new CheckSpec.Expect(CheckSpec.Expect.Kind.REGEX, "^po+ng"),
                new CheckSpec.Expect(CheckSpec.Expect.Kind.HEX, "70??6e"));
        Fuzz.forAll(REPLIES, reply -> {
            for (CheckSpec.Expect e : expects) {
                UdpChecker.matches(e, reply);
            }
            assertThat(UdpChecker.printable(reply).length()).isLessThan(200);
        });
    }

    @Test
    void anyAgentReplyGivesANumberOrNoneAndABoundedWeight() {
        Generator<String> replies = r -> r.oneOf(
                new String(Fuzz.bytes(80).generate(r), StandardCharsets.ISO_8859_1),
                r.digits(r.intRange(1, 400)), "-" + r.digits(r.intRange(1, 30)) + "%",
                r.alphanumeric(r.intRange(0, 40)) + " " + r.digits(r.intRange(1, 5)) + "." + r.digits(3));
        CheckSpec.Agent spec = new CheckSpec.Agent(null, 9999, null, CheckSpec.Agent.Reports.LOAD, 2.0, 1, 50, 0.5);
        Fuzz.forAll(replies, text -> {
            Double n = AgentChecker.parse(text);
            if (n != null && n >= 0) {
                assertThat(AgentChecker.weight(spec, n, 10)).isBetween(1, 50);
            }
        });
    }

    @Test
    void statusRangesAndDigestsParseOrNameTheInput() {
        Generator<String> texts = r -> r.oneOf(r.digits(r.intRange(0, 5)) + r.oneOf("", "-", "--", " - ")
                + r.digits(r.intRange(0, 5)), r.alphanumeric(r.intRange(0, 12)),
                r.oneOf("md5:", "sha256:", "sha1:", ":") + r.alphanumeric(r.intRange(0, 70)));
        Fuzz.forAll(texts, text -> {
            for (java.util.function.Function<String, Object> parse : List.<java.util.function.Function<String, Object>>of(
                    CheckSpec.StatusRange::parse, CheckSpec.Digest::parse)) {
                try {
                    parse.apply(text);
                } catch (IllegalArgumentException e) {
                    assertThat(e.getMessage()).as("names the input").isNotBlank();
                }
            }
        });
    }
}
