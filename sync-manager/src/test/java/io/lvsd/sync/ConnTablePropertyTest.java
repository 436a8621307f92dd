package io.lvsd.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Fuzz;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;

/**
 * The /proc/net/ip_vs_conn line parser against {@link Fuzz#TRIES} generated lines per property: lines printed as
 * the kernel prints them (IPv4, IPv6, mixed-family destinations, templates, persistence engines) parse to the entry
 * they print; any line (noise, or those lines and the table's documented lines with edits to their fields and
 * characters) gives an entry that reads its fields as the kernel wrote them, null for the header, or an
 * IllegalArgumentException naming the field, never another exception.
 */
class ConnTablePropertyTest {
    static final String[] TCP = {"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE",
        "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK"};
    static final String[] SCTP = {"NONE", "INIT1", "INIT", "COOKIE_SENT", "COOKIE_REPLIED", "COOKIE_WAIT", "COOKIE",
        "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT", "SHUTDOWN_RECEIVED", "SHUTDOWN_ACK_SENT", "REJECTED",
        "CLOSED"};
    static final String[] TEMPLATE = {"NONE", "ASSURED"};

    /** A line as ip_vs_conn_seq_show prints it, and the entry it shows. */
    record Line(String text, ConnTable.Entry entry) {
    }

    static InetAddress address(Random r, boolean v6) {
        byte[] a = SyncCodecPropertyTest.bytes(r, v6 ? 16 : 4);
        if (v6 && r.intRange(0, 5) == 0) {
            Arrays.fill(a, 0, 10, (byte) 0); // ::ffff:a.b.c.d, which the kernel prints in full like any other
            a[10] = (byte) 0xff;
            a[11] = (byte) 0xff;
        }
        try {
            return v6 ? Inet6Address.getByAddress(null, a, -1) : InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** %08X of the address in host order, or %pI6: eight groups of four lower-case hex digits. */
    static String print(InetAddress a) {
        byte[] b = a.getAddress();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < b.length; i++) {
            if (b.length == 16 && i > 0 && i % 2 == 0) {
                s.append(':');
            }
            s.append(String.format(b.length == 4 ? "%02X" : "%02x", b[i] & 0xff));
        }
        return s.toString();
    }

    static final Generator<Line> LINES = r -> {
        String proto = r.oneOf("TCP", "UDP", "SCTP", "IP");
        int protocol = switch (proto) {
            case "TCP" -> 6;
            case "UDP" -> 17;
            case "SCTP" -> 132;
            default -> 0;
        };
        boolean template = protocol == 0 || r.intRange(0, 3) == 0;
        String state = r.oneOf(template ? TEMPLATE : switch (protocol) {
            case 6 -> TCP;
            case 132 -> SCTP;
            default -> new String[] {"UDP"};
        });
        boolean v6 = r.trueOrFalse();
        // The destination has its own family (cp->daf): an IPv6 service may tunnel to IPv4 real servers.
        boolean destV6 = r.intRange(0, 7) == 0 ? !v6 : v6;
        InetAddress client = address(r, v6);
        InetAddress virtual = address(r, v6);
        InetAddress real = address(r, destV6);
        int cport = template ? 0 : r.intRange(0, 65535);
        int vport = r.intRange(0, 65535);
        int dport = r.intRange(0, 65535);
        long expires = r.intRange(0, 3) == 0 ? SyncCodecPropertyTest.u32(r) : r.intRange(0, 900);
        String pe = r.intRange(0, 7) == 0 ? r.oneOf("sip", r.lowerCaseAlphabetic(r.intRange(1, 15))) : null;
        String text = String.format("%-3s %s %04X %s %04X %s %04X %-11s %7d%s", proto, print(client), cport,
                print(virtual), vport, print(real), dport, state, expires,
                pe == null ? "" : " " + pe + " " + r.alphanumeric(r.intRange(1, 40)) + "@" + r.alphanumeric(6));
        return new Line(text, new ConnTable.Entry(protocol, client, cport, virtual, vport, real, dport, state,
                expires, pe));
    };

    @Test
    void linesAsTheKernelPrintsThemParseToTheEntryTheyShow() {
        Fuzz.forAll(LINES, l -> assertThat(ConnTable.parse(l.text())).isEqualTo(l.entry()));
    }

    /** The table's header and the lines in CatchUpTest, and generated lines: what the edits start from. */
    static List<String> seeds() {
        List<String> seeds = new ArrayList<>(List.of(
                "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData",
                "TCP 0A630032 A90E 0A630064 0050 0A630015 0050 ESTABLISHED     899",
                "UDP 2001:0db8:0000:0000:0000:0000:0000:0032 C350 2001:0db8:0000:0000:0000:0000:0000:0064 0035 "
                        + "2001:0db8:0000:0000:0000:0000:0001:0031 0035 UDP              12",
                "TCP 0A630032 0000 0A630064 0050 0A630015 0050 NONE            300",
                "IP  0A630032 0000 00000005 0000 0A630015 0000 NONE            300",
                "UDP 0A630032 13C4 0A630064 13C4 0A630015 13C4 UDP             30 sip 1234@host"));
        Fuzz.forAll(32, LINES, l -> seeds.add(l.text()));
        return seeds;
    }

    /** Field values that parsers get wrong: signs, prefixes, other digits, other address forms, overflow. */
    static final String[] TOKENS = {"", "0", "-001", "+FFF", "0x50", "ffff", "FFFFFFFF", "-0000001", "+0A63003",
        "10.0.0.1", "10.99.0.100", "::", "::1", "1:2", ":::", "::ffff:10.0.0.1",
        "0000:0000:0000:0000:0000:ffff:0a63:0032", "2001:db8::1", "fe80::1%eth0", "[::1]", "-5", "+5",
        "99999999999999999999", "\u0661\u0662\u0663\u0664", "\uff26\uff26\uff26\uff26", "ICMP", "IP_7", "Pro",
        "NONE", "ASSURED", "sip", "ERR!"};
    static final char[] CHARS = {'-', '+', ':', '.', '%', ' ', '\t', 'g', 'G', 'x', '0', 'F', '\u0663', '\uff26',
        '\u00a0', '\u2028', '\u0000'};

    static String edit(String line, Random r) {
        List<String> f = new ArrayList<>(Arrays.asList(line.trim().split("\\s+")));
        int at = r.intRange(0, f.size() - 1);
        switch (r.intRange(0, 6)) {
            case 0 -> f.set(at, r.oneOf(TOKENS));
            case 1 -> f.add(at, r.oneOf(TOKENS));
            case 2 -> f.remove(at);
            case 3 -> f.set(at, f.get(r.intRange(0, f.size() - 1)));
            default -> {
                if (line.isEmpty()) {
                    return String.valueOf(r.oneOf(TOKENS));
                }
                StringBuilder s = new StringBuilder(line);
                int c = r.intRange(0, s.length() - 1);
                switch (r.intRange(0, 3)) {
                    case 0 -> s.setCharAt(c, CHARS[r.intRange(0, CHARS.length - 1)]);
                    case 1 -> s.insert(c, CHARS[r.intRange(0, CHARS.length - 1)]);
                    case 2 -> s.deleteCharAt(c);
                    default -> s.setLength(c);
                }
                return s.toString();
            }
        }
        return String.join(r.oneOf(" ", "  ", "\t", "   "), f);
    }

    static Generator<String> mutatedLines() {
        List<String> seeds = seeds();
        return r -> {
            if (r.intRange(0, 7) == 0) {
                StringBuilder noise = new StringBuilder();
                for (int n = r.intRange(0, 120); n > 0; n--) {
                    noise.append(r.intRange(0, 3) == 0 ? CHARS[r.intRange(0, CHARS.length - 1)]
                            : r.alphanumericCharacter());
                }
                return noise.toString();
            }
            String line = r.oneOf(seeds);
            for (int e = r.intRange(1, 3); e > 0; e--) {
                line = edit(line, r);
            }
            return line;
        };
    }

    /** What the message of the parser's error says after the line: the field it is about. */
    static final Pattern FIELD = Pattern.compile("\\d+ fields \\(expected: at least 9\\)|(port|address|expires) \".*",
            Pattern.DOTALL);

    @Test
    void anyLineGivesAnEntryReadAsTheKernelWroteItOrAnErrorNamingTheField() {
        Fuzz.forAll(mutatedLines(), line -> {
            String[] f = line.trim().split("\\s+");
            ConnTable.Entry e;
            try {
                e = ConnTable.parse(line);
            } catch (IllegalArgumentException bad) {
                String m = bad.getMessage();
                String after = "line \"" + line.trim() + "\": ";
                assertThat(m.startsWith("protocol: \"") || m.startsWith(after)
                        && FIELD.matcher(m.substring(after.length())).matches())
                        .as("the error names the field: %s", m).isTrue();
                return;
            }
            if (e == null) {
                assertThat(f[0]).as("null is the header").isEqualTo("Pro");
                return;
            }
            assertThat(e.protocol()).isIn(0, 6, 17, 132);
            // Each field reads as the kernel printed it: %08X or %pI6, %04X, %7u, nothing taken for a sign.
            InetAddress[] addresses = {e.client(), e.virtual(), e.real()};
            int[] ports = {e.clientPort(), e.virtualPort(), e.realPort()};
            for (int i = 0; i < 3; i++) {
                String a = f[1 + 2 * i];
                if (a.indexOf(':') < 0) {
                    assertThat(addresses[i]).isInstanceOf(Inet4Address.class);
                    assertThat(print(addresses[i])).isEqualToIgnoringCase(a);
                } else {
                    assertThat(addresses[i]).as("an IPv6 column gives an IPv6 address").isInstanceOf(
                            Inet6Address.class);
                }
                assertThat(String.format("%04X", ports[i])).isEqualToIgnoringCase(f[2 + 2 * i]);
            }
            assertThat(e.state()).isEqualTo(f[7]);
            assertThat(e.expiresSeconds()).isNotNegative();
            assertThat(f[8]).as("expires").matches("[0-9]+");
        });
    }
}
