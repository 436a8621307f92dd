package io.lvsd.sync;

import io.lvsd.linux.net.IpAddresses;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The kernel's connection table as {@code /proc/net/ip_vs_conn} shows it (net/netfilter/ipvs/ip_vs_conn.c,
 * ip_vs_conn_seq_show). IPVS's netlink interface has no connection dump, so this file is the one place to read it.
 *
 * <pre>
 * Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
 * TCP 0A630032 A90E 0A630064 0050 0A630015 0050 ESTABLISHED     899
 * </pre>
 * IPv4 addresses are 8 hex digits, IPv6 addresses the kernel's {@code %pI6} form (eight groups of four hex
 * digits), ports 4 hex digits, Expires whole seconds. Persistence templates show the template states
 * ({@code NONE}, {@code ASSURED}) and client port 0; a firewall-mark service's template has protocol
 * {@code IP} and the mark as its virtual address.
 */
public final class ConnTable {
    private ConnTable() {
    }

    /**
     * One line of the table.
     *
     * @param protocol       6 TCP, 17 UDP, 132 SCTP, 0 for {@code IP} (firewall-mark templates)
     * @param state          the state's name as the kernel prints it
     * @param expiresSeconds seconds until the entry expires
     * @param peName         the persistence engine's name (e.g. {@code sip}), or null
     */
    public record Entry(int protocol, InetAddress client, int clientPort, InetAddress virtual, int virtualPort,
                        InetAddress real, int realPort, String state, long expiresSeconds, String peName) {

        /**
         * True for a persistence template: a template state the protocol does not have, or a client port 0
         * with the state NONE (the one state name TCP and templates share).
         */
        public boolean template() {
            return protocol == 0 || state.equals("ASSURED") || (state.equals("NONE") && clientPort == 0);
        }
    }

    /** The entry on {@code line}, or null for the header line. */
    public static Entry parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 0 && f[0].equals("Pro")) {
            return null;
        }
        if (f.length < 9) {
            throw new IllegalArgumentException("line \"" + line.trim() + "\": " + f.length
                    + " fields (expected: at least 9)");
        }
        int protocol = switch (f[0]) {
            case "TCP" -> 6;
            case "UDP" -> 17;
            case "SCTP" -> 132;
            case "IP" -> 0;
            default -> throw new IllegalArgumentException("protocol: \"" + f[0] + "\" (expected: TCP, UDP, SCTP or IP)");
        };
        try {
            return new Entry(protocol, address(f[1]), port(f[2]), address(f[3]), port(f[4]), address(f[5]),
                    port(f[6]), f[7], expires(f[8]), f.length > 9 ? f[9] : null);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("line \"" + line.trim() + "\": " + e.getMessage());
        }
    }

    /** Reads {@code file} line by line, handing each entry to {@code each}; returns the entries read. */
    public static long read(Path file, Consumer<Entry> each) throws IOException {
        long n = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                Entry e;
                try {
                    e = parse(line);
                } catch (IllegalArgumentException bad) {
                    throw new IOException(file + ":" + no + ": " + bad.getMessage(), bad);
                }
                if (e != null) {
                    each.accept(e);
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * The table of this thread's network namespace: {@code /proc/thread-self/net/ip_vs_conn} (what
     * {@code /proc/net} shows is the namespace of the process's first thread).
     */
    public static Path procFile() {
        Path self = Path.of("/proc/thread-self/net/ip_vs_conn");
        return Files.exists(self) ? self : Path.of("/proc/net/ip_vs_conn");
    }

    // The kernel prints %04X, %08X and %7u: digits only. Integer.parseInt also takes a sign and any Unicode
    // digit, which would read "-001" as port -1.
    private static boolean digits(String text, int radix) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 || Character.digit(c, radix) < 0) {
                return false;
            }
        }
        return !text.isEmpty();
    }

    private static int port(String hex) {
        if (hex.length() != 4 || !digits(hex, 16)) {
            throw new NumberFormatException("port \"" + hex + "\" (expected: 4 hex digits)");
        }
        return Integer.parseInt(hex, 16);
    }

    private static long expires(String text) {
        try {
            if (digits(text, 10)) {
                return Long.parseLong(text);
            }
        } catch (NumberFormatException tooLarge) {
            // more than a long holds: not a number of seconds the kernel prints
        }
        throw new NumberFormatException("expires \"" + text + "\" (expected: whole seconds)");
    }

    private static InetAddress address(String text) {
        if (text.indexOf(':') < 0) {
            if (text.length() != 8 || !digits(text, 16)) {
                throw new NumberFormatException("address \"" + text + "\" (expected: 8 hex digits or an IPv6 address)");
            }
            long a = Long.parseLong(text, 16);
            byte[] b = {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
            try {
                return InetAddress.getByAddress(b);
            } catch (UnknownHostException e) {
                throw new AssertionError("4 bytes", e);
            }
        }
        try {
            InetAddress a = IpAddresses.parse(text);
            if (a instanceof Inet4Address mapped) {
                // An IPv6 column stays IPv6: Java reads ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2) as IPv4.
                byte[] b = new byte[16];
                b[10] = (byte) 0xff;
                b[11] = (byte) 0xff;
                System.arraycopy(mapped.getAddress(), 0, b, 12, 4);
                return Inet6Address.getByAddress(null, b, -1);
            }
            return a;
        } catch (UnknownHostException | IllegalArgumentException e) {
            throw new NumberFormatException("address \"" + text + "\" (expected: 8 hex digits or an IPv6 address)");
        }
    }
}
