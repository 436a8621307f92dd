package io.lvsd.healthcheck;

import io.lvsd.linux.Require;
import io.lvsd.linux.proc.Command;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/** What a probe does, one record per {@link CheckType}. */
public sealed interface CheckSpec {
    CheckType type();

    /**
     * Connect, then close with a reset: up when the real server answers the connection. With {@code halfOpen} the
     * director never acknowledges the server's SYN-ACK (delayed acknowledgement, {@code TCP_QUICKACK} off) and resets
     * at once, so the connection never leaves the server's SYN queue: its application never accepts it. Cheaper for
     * both ends; proves a listening socket, not an application that accepts.
     */
    record Tcp(boolean halfOpen) implements CheckSpec {
        /** A whole handshake. */
        public Tcp() {
            this(false);
        }

        public CheckType type() {
            return CheckType.TCP;
        }
    }

    /** Always up. */
    record None() implements CheckSpec {
        public CheckType type() {
            return CheckType.NONE;
        }
    }

    /**
     * An HTTP(S) request; up when the status is in {@code status} and the body (read up to
     * {@code maxBytes}) matches {@code bodyRegex} and {@code digest} where given.
     */
    record Http(boolean tls, String method, String path, String host, String sni, List<StatusRange> status,
                Pattern bodyRegex, Digest digest, int maxBytes, String version) implements CheckSpec {
        public Http {
            Require.nonEmpty("method", method);
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("path: \"" + path + "\" (expected an absolute path starting with /)");
            }
            status = List.copyOf(status);
            if (status.isEmpty()) {
                throw new IllegalArgumentException("status: [] (expected at least one code or range)");
            }
            Require.range("max-bytes", maxBytes, 1, 64 << 20);
            if (!version.equals("1.0") && !version.equals("1.1")) {
                throw new IllegalArgumentException("version: \"" + version + "\" (expected 1.0 or 1.1)");
            }
        }

        public CheckType type() {
            return tls ? CheckType.HTTPS : CheckType.HTTP;
        }

        /** True when {@code code} is an expected status. */
        public boolean accepts(int code) {
            return status.stream().anyMatch(r -> r.contains(code));
        }
    }

    /** An inclusive range of HTTP status codes. */
    record StatusRange(int from, int to) {
        public StatusRange {
            Require.range("status", from, 100, 599);
            Require.range("status", to, from, 599);
        }

        /** Parses {@code 200}, or {@code 200-299}. */
        public static StatusRange parse(String text) {
            String t = text.trim();
            if (!t.matches("\\d{3}(-\\d{3})?")) {
                throw new IllegalArgumentException("status: \"" + text + "\" (expected a code like 200 or a range like 200-299)");
            }
            int dash = t.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? t : t.substring(0, dash));
            int to = dash < 0 ? from : Integer.parseInt(t.substring(dash + 1));
            return new StatusRange(from, to);
        }

        public boolean contains(int code) {
            return code >= from && code <= to;
        }

        @Override
        public String toString() {
            return from == to ? Integer.toString(from) : from + "-" + to;
        }
    }

    /** A body digest: {@code md5:HEX} or {@code sha256:HEX}. */
    record Digest(String algorithm, String hex) {
        public Digest {
            int len = switch (algorithm) {
                case "md5" -> 32;
                case "sha256" -> 64;
                default -> throw new IllegalArgumentException("digest: \"" + algorithm + "\" (expected md5 or sha256)");
            };
            hex = hex.toLowerCase(Locale.ROOT);
            if (hex.length() != len || !hex.matches("[0-9a-f]+")) {
                throw new IllegalArgumentException("digest: \"" + hex + "\" (expected " + len + " hex digits for " + algorithm + ")");
            }
        }

        public static Digest parse(String text) {
            int colon = text.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("digest: \"" + text + "\" (expected md5:HEX or sha256:HEX)");
            }
            return new Digest(text.substring(0, colon).toLowerCase(Locale.ROOT), text.substring(colon + 1));
        }

        /** The JDK MessageDigest name. */
        public String jdkName() {
            return algorithm.equals("md5") ? "MD5" : "SHA-256";
        }
    }

    /**
     * A UDP datagram; up when the reply matches {@code expect}, or, with {@code expect} null,
     * when no ICMP port-unreachable arrives within the timeout.
     *
     * @param payloadHex the datagram, as hex
     */
    record Udp(String payloadHex, Expect expect) implements CheckSpec {
        public Udp {
            payloadHex = payloadHex.toLowerCase(Locale.ROOT);
            HexFormat.of().parseHex(payloadHex);
        }

        public CheckType type() {
            return CheckType.UDP;
        }

        public byte[] payload() {
            return HexFormat.of().parseHex(payloadHex);
        }
    }

    /** An expected UDP reply. */
    record Expect(Kind kind, String value) {
        public Expect {
            Objects.requireNonNull(kind, "kind");
            switch (kind) {
                case REGEX -> Pattern.compile(value);
                case HEX -> {
                    if (!value.matches("([0-9A-Fa-f?]{2})+")) {
                        throw new IllegalArgumentException("expect-hex: \"" + value + "\" (expected pairs of hex digits, ? for any nibble)");
                    }
                }
                case EXACT -> Objects.requireNonNull(value, "expect");
            }
        }

        /** EXACT: the reply equals the text; REGEX: the regex finds a match; HEX: nibble pattern. */
        public enum Kind { EXACT, REGEX, HEX }
    }

    /** A DNS query; up on NOERROR (and, when {@code answer} is set, an answer containing it). */
    record Dns(String name, String queryType, String answer) implements CheckSpec {
        public static final List<String> TYPES = List.of("A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT", "ANY");

        public Dns {
            Require.nonEmpty("name", name);
            if (!TYPES.contains(queryType)) {
                throw new IllegalArgumentException("type: \"" + queryType + "\" (expected one of " + String.join(", ", TYPES) + ")");
            }
        }

        public CheckType type() {
            return CheckType.DNS;
        }
    }

    /**
     * A program run on the director: exit 0 is up. With {@code dynamic}, exit codes 2-255
     * mean up with weight {@code code - 2} (keepalived's misc_dynamic).
     */
    record Script(Command command, boolean dynamic) implements CheckSpec {
        public Script {
            Objects.requireNonNull(command, "command");
        }

        public CheckType type() {
            return CheckType.SCRIPT;
        }
    }

    /**
     * Load feedback: a number from a command on the director, or from a TCP ({@code path}
     * null) or HTTP endpoint on the real server at {@code port}, mapped to a weight, bounded by
     * {@code [minWeight, maxWeight]} and smoothed exponentially ({@code smoothing} is the
     * weight given to the newest sample).
     */
    record Agent(Command command, Integer port, String path, Reports reports, double loadFull, int minWeight,
                 Integer maxWeight, double smoothing) implements CheckSpec {
        public Agent {
            if ((command == null) == (port == null)) {
                throw new IllegalArgumentException("agent: (expected exactly one of command or port)");
            }
            Objects.requireNonNull(reports, "reports");
            if (!(loadFull > 0)) {
                throw new IllegalArgumentException("load-full: " + loadFull + " (expected > 0)");
            }
            Require.range("min-weight", minWeight, 0, 65535);
            if (maxWeight != null) {
                Require.range("max-weight", maxWeight, minWeight, 65535);
            }
            if (!(smoothing > 0 && smoothing <= 1)) {
                throw new IllegalArgumentException("smoothing: " + smoothing + " (expected > 0 and <= 1)");
            }
        }

        public CheckType type() {
            return CheckType.AGENT;
        }

        /**
         * What the number means: a weight; a load (weight falls linearly to 0 at
         * {@code loadFull}); or an idle percentage (weight scales with it).
         */
        public enum Reports { WEIGHT, LOAD, IDLE }
    }
}
