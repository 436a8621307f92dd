package io.lvsd.healthcheck;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code dns}: one query over UDP (recursion desired); up on NOERROR with the same id, and, when {@code answer}
 * is set, an answer record whose data, written as text, contains it ({@code 192.0.2.1}, {@code mail.example.}).
 */
public final class DnsChecker implements Checker {
    @Override
    public void probe(ProbeContext ctx) {
        CheckSpec.Dns spec = (CheckSpec.Dns) ctx.config().spec();
        int id = ThreadLocalRandom.current().nextInt(1, 65536);
        DnsRecordType type = DnsRecordType.valueOf(spec.queryType());
        ctx.transport().connect(ctx, true, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new DatagramDnsQueryEncoder(), new DatagramDnsResponseDecoder(),
                        new SimpleChannelInboundHandler<DatagramDnsResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext c, DatagramDnsResponse r) {
                                if (r.id() != id) {
                                    return; // not ours: keep waiting
                                }
                                judge(ctx, spec, r);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                                ctx.down(ProbeTransport.portUnreachable(cause) ? "ICMP port unreachable"
                                        : "DNS: " + ProbeTransport.message(cause));
                            }
                        });
            }
        }, ch -> {
            DatagramDnsQuery q = new DatagramDnsQuery(null, ctx.target(), id);
            q.setRecursionDesired(true);
            q.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(spec.name(), type));
            ch.writeAndFlush(q).addListener(f -> {
                if (!f.isSuccess()) {
                    ctx.down("send: " + ProbeTransport.message(f.cause()));
                }
            });
        });
    }

    /** The verdict on a response to our query (package-private for the property test). */
    static void judge(ProbeContext ctx, CheckSpec.Dns spec, DatagramDnsResponse r) {
        if (r.code() != DnsResponseCode.NOERROR) {
            String code = r.code().toString().replaceFirst("\\(\\d+\\)$", "").trim();
            ctx.down("DNS " + code.toUpperCase(java.util.Locale.ROOT) + " for " + spec.name() + " " + spec.queryType());
            return;
        }
        int n = r.count(DnsSection.ANSWER);
        if (spec.answer() == null) {
            ctx.up("NOERROR, " + n + " answer(s)");
            return;
        }
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            DnsRecord rec = r.recordAt(DnsSection.ANSWER, i);
            String text = text(rec);
            if (text.contains(spec.answer())) {
                ctx.up("NOERROR, answer " + text);
                return;
            }
            seen.add(text);
        }
        ctx.down("NOERROR but no answer contains \"" + spec.answer() + "\"" + (seen.isEmpty() ? " (no answers)"
                : ": " + String.join(", ", seen.subList(0, Math.min(5, seen.size())))));
    }

    /** A record's data as text, enough to look for an expected answer in it. */
    static String text(DnsRecord rec) {
        if (rec instanceof io.netty.handler.codec.dns.DnsPtrRecord ptr) {
            return ptr.hostname();
        }
        if (!(rec instanceof DnsRawRecord raw)) {
            return rec.name();
        }
        ByteBuf d = raw.content().duplicate();
        DnsRecordType t = rec.type();
        try {
            if (t == DnsRecordType.A || t == DnsRecordType.AAAA) {
                byte[] a = new byte[d.readableBytes()];
                d.readBytes(a);
                return InetAddress.getByAddress(a).getHostAddress();
            }
            if (t == DnsRecordType.CNAME || t == DnsRecordType.NS || t == DnsRecordType.PTR) {
                return DefaultDnsRecordDecoder.decodeName(d);
            }
            if (t == DnsRecordType.MX) {
                int pref = d.readUnsignedShort();
                return pref + " " + DefaultDnsRecordDecoder.decodeName(d);
            }
            if (t == DnsRecordType.SRV) {
                int prio = d.readUnsignedShort();
                int weight = d.readUnsignedShort();
                int port = d.readUnsignedShort();
                return prio + " " + weight + " " + port + " " + DefaultDnsRecordDecoder.decodeName(d);
            }
            if (t == DnsRecordType.TXT) {
                StringBuilder b = new StringBuilder();
                while (d.isReadable()) {
                    int len = d.readUnsignedByte();
                    b.append(d.readCharSequence(Math.min(len, d.readableBytes()), StandardCharsets.UTF_8));
                }
                return b.toString();
            }
            if (t == DnsRecordType.SOA) {
                return DefaultDnsRecordDecoder.decodeName(d) + " " + DefaultDnsRecordDecoder.decodeName(d);
            }
        } catch (UnknownHostException | IndexOutOfBoundsException | io.netty.handler.codec.CorruptedFrameException e) {
            return "(undecodable " + t.name() + ")";
        }
        return io.netty.buffer.ByteBufUtil.hexDump(d);
    }
}
