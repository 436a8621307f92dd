package io.lvsd.healthcheck;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DefaultDnsPtrRecord;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordDecoder;
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
                ch.pipeline().addLast(new DatagramDnsQueryEncoder(), responseDecoder(),
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

    /** The query this check sends, with {@code id}, as the bytes of one UDP datagram. */
    public static byte[] queryBytes(CheckSpec.Dns spec, int id) {
        io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel(new DatagramDnsQueryEncoder());
        try {
            java.net.InetSocketAddress to = new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 53);
            DatagramDnsQuery q = new DatagramDnsQuery(null, to, id);
            q.setRecursionDesired(true);
            q.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(spec.name(), DnsRecordType.valueOf(spec.queryType())));
            ch.writeOutbound(q);
            io.netty.channel.socket.DatagramPacket p = ch.readOutbound();
            try {
                return io.netty.buffer.ByteBufUtil.getBytes(p.content());
            } finally {
                p.release();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
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
                return decodeName(d);
            }
            if (t == DnsRecordType.MX) {
                int pref = d.readUnsignedShort();
                return pref + " " + decodeName(d);
            }
            if (t == DnsRecordType.SRV) {
                int prio = d.readUnsignedShort();
                int weight = d.readUnsignedShort();
                int port = d.readUnsignedShort();
                return prio + " " + weight + " " + port + " " + decodeName(d);
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
                return decodeName(d) + " " + decodeName(d);
            }
        } catch (UnknownHostException | IndexOutOfBoundsException | CorruptedFrameException e) {
            return "(undecodable " + t.name() + ")";
        }
        return io.netty.buffer.ByteBufUtil.hexDump(d);
    }

    /** The decoder for responses: Netty's, with {@link RecordDecoder} reading the records. */
    static DatagramDnsResponseDecoder responseDecoder() {
        return new DatagramDnsResponseDecoder(new RecordDecoder());
    }

    /**
     * Netty's {@code DefaultDnsRecordDecoder}, but with names read by {@link #decodeName}. Netty's own name reader
     * sizes a buffer by all the bytes left in the message, for every name, and follows compression pointers for as
     * many jumps as the message has bytes, appending the labels of each round: a 2 KB reply whose names point back
     * at themselves made it allocate 50 MB, a 478-byte one 3 MB.
     */
    static final class RecordDecoder implements DnsRecordDecoder {
        @Override
        public DnsQuestion decodeQuestion(ByteBuf in) {
            String name = printable(decodeName(in));
            DnsRecordType type = DnsRecordType.valueOf(in.readUnsignedShort());
            int qClass = in.readUnsignedShort();
            return new DefaultDnsQuestion(name, type, qClass);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends DnsRecord> T decodeRecord(ByteBuf in) {
            int start = in.readerIndex();
            String name = printable(decodeName(in));
            int end = in.writerIndex();
            if (end - in.readerIndex() < 10) {
                in.readerIndex(start);
                return null; // truncated: the message decoder stops at this section
            }
            DnsRecordType type = DnsRecordType.valueOf(in.readUnsignedShort());
            int dnsClass = in.readUnsignedShort();
            long ttl = in.readUnsignedInt();
            int length = in.readUnsignedShort();
            int offset = in.readerIndex();
            if (end - offset < length) {
                in.readerIndex(start);
                return null;
            }
            in.readerIndex(offset + length);
            // Record data keeps the whole message around it: its names may point anywhere before (RFC 1035 4.1.4).
            if (type == DnsRecordType.CNAME || type == DnsRecordType.NS) {
                decodeName(in.duplicate().setIndex(offset, offset + length)); // Netty rejects a bad one here too
            }
            if (type == DnsRecordType.PTR) {
                return (T) new DefaultDnsPtrRecord(name, dnsClass, ttl,
                        printable(decodeName(in.duplicate().setIndex(offset, offset + length))));
            }
            return (T) new DefaultDnsRawRecord(name, type, dnsClass, ttl,
                    in.retainedDuplicate().setIndex(offset, offset + length));
        }
    }

    /**
     * {@code name}, when every character is printable ASCII; else a {@link BadName}. Netty's records put their names
     * through {@link java.net.IDN#toASCII}, which answers a control or non-ASCII octet with two exceptions and their
     * stack traces: a hostile server could make every reply cost that. Names on the wire are ASCII (RFC 5890 puts
     * internationalised ones there as A-labels), and a reply to our query has no use for anything else.
     */
    static String printable(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                throw new BadName(c < 0x80 ? String.format("name has octet 0x%02x, not printable ASCII", (int) c)
                        : "name has an octet outside ASCII");
            }
        }
        return name;
    }

    /**
     * A name that cannot be read. Without a stack trace: a hostile or broken server can send one in every reply, and
     * the reason, which is all the verdict names, costs nothing to make.
     */
    static final class BadName extends CorruptedFrameException {
        BadName(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** RFC 1035 2.3.4: a name is 255 octets or less, on the wire, its labels' lengths included. */
    private static final int MAX_NAME = 255;
    /** The longest label, RFC 1035 2.3.4. */
    private static final int MAX_LABEL = 63;

    /**
     * A name at the reader index, compression pointers followed (RFC 1035 4.1.4), as Netty's
     * {@code DefaultDnsRecordDecoder.decodeName} reads it ({@code www.example.org.}, the root {@code .}), but
     * rejecting a name longer than 255 octets: no name, however its pointers loop, costs more than that.
     */
    static String decodeName(ByteBuf in) {
        if (!in.isReadable()) {
            return "."; // some servers send nothing for the root (netty#5014)
        }
        int end = in.writerIndex();
        int after = -1;
        int jumps = 0;
        int octets = 1;
        StringBuilder name = new StringBuilder(64);
        while (in.isReadable()) {
            int len = in.readUnsignedByte();
            if ((len & 0xc0) == 0xc0) {
                if (after == -1) {
                    after = in.readerIndex() + 1;
                }
                if (!in.isReadable()) {
                    throw new BadName("truncated pointer in a name");
                }
                int next = (len & 0x3f) << 8 | in.readUnsignedByte();
                if (next >= end) {
                    throw new BadName("name has an out-of-range pointer");
                }
                in.readerIndex(next);
                jumps += 2;
                if (jumps >= end) {
                    throw new BadName("name contains a loop");
                }
            } else if (len != 0) {
                octets += 1 + len;
                if (octets > MAX_NAME) {
                    throw new BadName("name longer than " + MAX_NAME + " octets");
                }
                if (!in.isReadable(len)) {
                    throw new BadName("truncated label in a name");
                }
                if (len > MAX_LABEL) {
                    // 0x40-0xbf: RFC 1035 4.1.4's two reserved prefixes (RFC 6891 retired extended labels)
                    throw new BadName("label of " + len + " octets (at most " + MAX_LABEL + ")");
                }
                name.append(in.toString(in.readerIndex(), len, StandardCharsets.UTF_8)).append('.');
                in.skipBytes(len);
            } else {
                break;
            }
        }
        if (after != -1) {
            in.readerIndex(after);
        }
        return name.length() == 0 ? "." : name.toString();
    }
}
