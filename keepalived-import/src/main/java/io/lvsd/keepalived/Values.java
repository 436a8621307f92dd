package io.lvsd.keepalived;

import io.lvsd.linux.net.IpAddresses;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/** keepalived's value syntax: numbers, timers in seconds, booleans, addresses and free-format hex. */
final class Values {
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d{1,18}");
    private static final Pattern DECIMAL = Pattern.compile("\\d{1,12}(\\.\\d{1,6})?|\\.\\d{1,6}");

    private Values() {}

    /** An integer in [min, max], or {@code null}. */
    static Long integer(String s, long min, long max) {
        if (s == null || !INTEGER.matcher(s).matches()) {
            return null;
        }
        long v = Long.parseLong(s);
        return v < min || v > max ? null : v;
    }

    /** A timer in seconds, fractions allowed ({@code 2.71828}), as microseconds; or {@code null}. */
    static Long timerMicros(String s) {
        if (s == null || !DECIMAL.matcher(s).matches()) {
            return null;
        }
        return new BigDecimal(s).movePointRight(6).longValueExact();
    }

    /** keepalived's {@code <BOOL>}: a keyword alone is true. */
    static Boolean bool(String s) {
        if (s == null) {
            return true;
        }
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> null;
        };
    }

    /** A literal IPv4 or IPv6 address (never a name: nothing is resolved), or {@code null}. */
    static InetAddress address(String s) {
        try {
            return s == null ? null : IpAddresses.parse(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** An address as inet_ntop(3) writes it (RFC 5952 for IPv6). */
    static String text(InetAddress a) {
        return IpAddresses.text(a);
    }

    static boolean v6(InetAddress a) {
        return a instanceof java.net.Inet6Address;
    }

    /** {@code ip:port}, with brackets for IPv6. */
    static String endpoint(InetAddress a, long port) {
        return host(a) + ":" + port;
    }

    static String host(InetAddress a) {
        String h = IpAddresses.text(a);
        return v6(a) ? "[" + h + "]" : h;
    }

    /**
     * keepalived's free-format hex ({@code Ab12f 3 456} is {@code ab 12 0f 03 45 06}): words split on white
     * space, pairs of digits from the left, a last odd digit a byte of its own. With {@code wild}, {@code x}
     * stands for any nibble and becomes lvsd's {@code ?}. Returns lower-case hex, or {@code null}.
     */
    static String hex(String words, boolean wild) {
        StringBuilder out = new StringBuilder();
        for (String w : words.strip().split("\\s+")) {
            if (w.isEmpty()) {
                continue;
            }
            for (int i = 0; i < w.length(); i += 2) {
                String pair = i + 1 < w.length() ? w.substring(i, i + 2) : "0" + w.charAt(i);
                for (char c : pair.toCharArray()) {
                    if (Character.digit(c, 16) >= 0 && c < 128) {
                        out.append(Character.toLowerCase(c));
                    } else if (wild && (c == 'x' || c == 'X')) {
                        out.append('?');
                    } else {
                        return null;
                    }
                }
            }
        }
        return out.isEmpty() ? null : out.toString();
    }

    /** Is {@code s} lower-case hex of the given length? */
    static boolean isHex(String s, int length) {
        if (s.length() != length) {
            return false;
        }
        try {
            HexFormat.of().parseHex(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
