package io.lvsd.linux.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Strict parsing of IP literals. Host names are rejected: a director's configuration must
 * never depend on DNS, and {@link InetAddress#getByName} would silently resolve them.
 */
public final class IpAddresses {
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private IpAddresses() {
    }

    /** Parses an IPv4 or IPv6 literal (no brackets, no zone). */
    public static InetAddress parse(String text) {
        InetAddress v4 = quickIpv4(text);
        if (v4 != null) {
            return v4;
        }
        if (text == null || !(IPV4.matcher(text).matches() || (text.contains(":") && IPV6_CHARS.matcher(text).matches()))) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
        }
    }

    /** A dotted quad without leading zeros, or null: the common case, without a regex. */
    private static InetAddress quickIpv4(String t) {
        if (t == null || t.isEmpty() || t.length() > 15) {
            return null;
        }
        byte[] b = new byte[4];
        int part = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i <= t.length(); i++) {
            char c = i < t.length() ? t.charAt(i) : '.';
            if (c == '.') {
                if (digits == 0 || part > 3) {
                    return null;
                }
                b[part++] = (byte) value;
                value = 0;
                digits = 0;
            } else if (c >= '0' && c <= '9') {
                if (digits > 0 && value == 0) {
                    return null; // a leading zero: let the strict path reject it
                }
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) {
                    return null;
                }
            } else {
                return null;
            }
        }
        if (part != 4) {
            return null;
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    /**
     * Parses {@code 192.0.2.1:80} or {@code [2001:db8::1]:80}. When {@code defaultPort} is
     * non-negative the port may be omitted ({@code 192.0.2.1}, {@code [2001:db8::1]} or a bare
     * IPv6 literal).
     */
    public static InetSocketAddress parseEndpoint(String text, int defaultPort) {
        if (text == null) {
            throw new IllegalArgumentException("null is not an address:port");
        }
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("\"" + text + "\" is not an address:port (missing ])");
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (rest.isEmpty()) {
                port = null;
            } else if (rest.startsWith(":")) {
                port = rest.substring(1);
            } else {
                throw new IllegalArgumentException("\"" + text + "\" is not an address:port");
            }
        } else if (text.indexOf(':') != text.lastIndexOf(':')) {
            host = text; // a bare IPv6 literal has no port
            port = null;
        } else {
            int colon = text.indexOf(':');
            host = colon < 0 ? text : text.substring(0, colon);
            port = colon < 0 ? null : text.substring(colon + 1);
        }
        InetAddress addr = parse(host);
        int p;
        if (port == null) {
            if (defaultPort < 0) {
                throw new IllegalArgumentException("\"" + text + "\" has no port (expected address:port)");
            }
            p = defaultPort;
        } else {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 0 || p > 65535 || !port.matches("\\d+")) {
                throw new IllegalArgumentException("\"" + text + "\" has a bad port (expected 0-65535)");
            }
        }
        return new InetSocketAddress(addr, p);
    }

    /** {@code 192.0.2.1:80} or {@code [2001:db8::1]:80}, the form {@link #parseEndpoint} reads. */
    public static String format(InetSocketAddress endpoint) {
        InetAddress a = endpoint.getAddress();
        String host = text(a);
        return (a instanceof Inet6Address ? "[" + host + "]" : host) + ":" + endpoint.getPort();
    }

    /**
     * An address as inet_ntop(3) writes it: IPv6 in RFC 5952 form (the longest run of two or
     * more zero groups becomes {@code ::}, the first on a tie), with IPv4-mapped and
     * IPv4-compatible addresses in dotted form, so that lvsd's output matches the tools
     * operators compare it with.
     */
    public static String text(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return a.getHostAddress();
        }
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) {
            w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestBase = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (w[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestBase = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestBase = -1;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
                if (i == bestBase) {
                    sb.append(':');
                }
                continue;
            }
            if (i != 0) {
                sb.append(':');
            }
            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff))) {
                sb.append(b[12] & 0xff).append('.').append(b[13] & 0xff).append('.')
                        .append(b[14] & 0xff).append('.').append(b[15] & 0xff);
                return sb.toString();
            }
            sb.append(Integer.toHexString(w[i]));
        }
        if (bestBase >= 0 && bestBase + bestLen == 8) {
            sb.append(':');
        }
        return sb.toString();
    }

    /** The address family of {@code a}. */
    public static IpFamily family(InetAddress a) {
        return a instanceof Inet4Address ? IpFamily.IPV4 : IpFamily.IPV6;
    }
}
