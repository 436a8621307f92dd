package io.lvsd.linux.proc;

import java.util.ArrayList;
import java.util.List;

/**
 * A program and its arguments, run without a shell. Configuration may give it as a list
 * ({@code ["/usr/local/bin/check", "--fast"]}) or as one string split on white space, where
 * single or double quotes group words ({@code "/bin/notify 'two words'"}).
 */
public record Command(List<String> argv) {
    public Command {
        argv = List.copyOf(argv);
        if (argv.isEmpty() || argv.get(0).isBlank()) {
            throw new IllegalArgumentException("command: " + argv + " (expected a program and its arguments)");
        }
    }

    /** Splits {@code line} into words; quotes group, backslash escapes the next character. */
    public static Command parse(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < line.length()) {
                    cur.append(line.charAt(++i));
                } else {
                    cur.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < line.length()) {
                cur.append(line.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("command: \"" + line + "\" (unterminated " + quote + " quote)");
        }
        if (inWord) {
            words.add(cur.toString());
        }
        return new Command(words);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (String w : argv) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(w.isEmpty() || w.matches(".*[\\s'\"\\\\].*") ? "'" + w.replace("'", "'\\''") + "'" : w);
        }
        return b.toString();
    }
}
