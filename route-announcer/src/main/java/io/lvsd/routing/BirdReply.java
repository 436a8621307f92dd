package io.lvsd.routing;

import java.util.ArrayList;
import java.util.List;

/**
 * One reply of BIRD's control socket (BIRD 2 user's guide, "Remote control"): lines that start with a four-digit
 * code and {@code '-'} when more lines follow or {@code ' '} on the last one; a line that starts with a space goes on
 * with the code before it. Codes 0xxx end a command successfully, 1xxx carry data, 2xxx table headings, 8xxx and
 * 9xxx are errors (run-time and parse). Pure.
 *
 * @param lines every line with its code ({@code code} of a continuation line is the code it continues)
 * @param code  the code of the last line: the outcome
 */
public record BirdReply(List<Line> lines, int code) {
    public record Line(int code, String text) {
    }

    public boolean ok() {
        return code < 8000;
    }

    /** The text of the error line(s), for a message; empty when {@link #ok()}. */
    public String error() {
        if (ok()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (Line l : lines) {
            if (l.code() >= 8000) {
                b.append(b.length() == 0 ? "" : " ").append(l.text().strip());
            }
        }
        return code + " " + b;
    }

    /** The lines with {@code code}, in order. */
    public List<String> texts(int code) {
        List<String> out = new ArrayList<>();
        for (Line l : lines) {
            if (l.code() == code) {
                out.add(l.text());
            }
        }
        return out;
    }

    /** Accumulates the lines of one reply; {@link #accept} returns the reply when its last line arrives. */
    public static final class Reader {
        private final List<Line> lines = new ArrayList<>();
        private int current = -1;

        /**
         * Takes one line (without its newline); returns the whole reply at its last line, else null.
         *
         * @throws IllegalArgumentException a line that is not BIRD's reply format
         */
        public BirdReply accept(String line) {
            if (line.startsWith(" ")) {
                if (current < 0) {
                    throw new IllegalArgumentException("bird reply: a continuation line before any code: \""
                            + shorten(line) + "\"");
                }
                lines.add(new Line(current, line.substring(1)));
                return null;
            }
            if (line.length() < 5 || !Character.isDigit(line.charAt(0)) || !Character.isDigit(line.charAt(1))
                    || !Character.isDigit(line.charAt(2)) || !Character.isDigit(line.charAt(3))
                    || (line.charAt(4) != '-' && line.charAt(4) != ' ')) {
                throw new IllegalArgumentException("bird reply: \"" + shorten(line)
                        + "\" (expected a four-digit code and '-' or ' ', or a line starting with a space)");
            }
            current = Integer.parseInt(line.substring(0, 4));
            lines.add(new Line(current, line.substring(5)));
            if (line.charAt(4) == ' ') {
                BirdReply r = new BirdReply(List.copyOf(lines), current);
                lines.clear();
                current = -1;
                return r;
            }
            return null;
        }

        private static String shorten(String s) {
            return s.length() > 80 ? s.substring(0, 80) + "..." : s;
        }
    }

    /** Parses a whole reply, e.g. a captured one; throws when it is incomplete. */
    public static BirdReply parse(String text) {
        Reader r = new Reader();
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            BirdReply done = r.accept(line);
            if (done != null) {
                return done;
            }
        }
        throw new IllegalArgumentException("bird reply: ended without a final line (a code followed by a space)");
    }

    /**
     * The BGP sessions in the reply to {@code show protocols} (code 1002 rows: name, protocol, table, state, since,
     * info). A BGP protocol is up when its state is {@code up}, which BIRD shows with info {@code Established}.
     */
    public List<RoutingDaemon.Session> bgpSessions() {
        List<RoutingDaemon.Session> out = new ArrayList<>();
        for (String row : texts(1002)) {
            String[] f = row.trim().split("\\s+", 7);
            if (f.length < 5 || !f[1].equals("BGP")) {
                continue;
            }
            String since = f[4];
            int info = 5;
            // "timeformat protocol iso long" prints the date and the time: two fields.
            if (f.length > 5 && f[5].matches("\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?")) {
                since = f[4] + " " + f[5];
                info = 6;
            }
            String rest = f.length > info ? String.join(" ", java.util.Arrays.copyOfRange(f, info, f.length)) : "";
            String word = rest.isBlank() ? f[3] : rest.trim().split("\\s+")[0];
            out.add(new RoutingDaemon.Session(f[0], "BGP", word, f[3].equals("up"), since));
        }
        return out;
    }
}
