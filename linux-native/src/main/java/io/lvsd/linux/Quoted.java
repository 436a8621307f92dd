package io.lvsd.linux;

/** Text shown to an operator in double quotes, on one line, whatever it holds. */
public final class Quoted {
    private Quoted() {
    }

    /**
     * {@code value} in double quotes with {@code "} and {@code \} escaped, and control characters and whitespace other
     * than the space as {@code \n}, {@code \r}, {@code \t} or {@code \}{@code uXXXX}: a JSON (and HOCON) string, and
     * one line of a log or an error, even when the value came from the kernel or the network.
     */
    public static String of(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '"', '\\' -> b.append('\\').append(c);
                default -> {
                    if (Character.isISOControl(c) || Character.isWhitespace(c) && c != ' ') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
