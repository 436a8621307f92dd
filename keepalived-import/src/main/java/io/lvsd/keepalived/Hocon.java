package io.lvsd.keepalived;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The HOCON the importer writes: objects and lists in the order they are built, each entry with the comments
 * that explain it. Rendering is deterministic, so importing a file twice gives the same bytes.
 */
final class Hocon {
    private static final Pattern BARE = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");
    private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*");
    private static final Pattern DURATION = Pattern.compile("\\d+(us|ms|s|m|h|d)");
    private static final java.util.Set<String> RESERVED = java.util.Set.of("true", "false", "null", "yes", "no",
            "on", "off", "include");

    private Hocon() {}

    /** A value: an object, a list or a scalar. */
    sealed interface Value permits Obj, Arr, Scalar {}

    /** Text written as it is: a number, a boolean, a duration or a quoted string. */
    record Scalar(String text) implements Value {}

    /** One member of an object or list, with comment lines before it and one after it on its line. */
    static final class Entry {
        final String key;
        final Value value;
        final List<String> comments = new ArrayList<>();
        String trailing;

        Entry(String key, Value value) {
            this.key = key;
            this.value = value;
        }
    }

    /** An object; {@code inline} objects of scalars render on one line. */
    static final class Obj implements Value {
        final List<Entry> entries = new ArrayList<>();
        final List<String> closingComments = new ArrayList<>();
        boolean inline;

        Entry put(String key, Value v) {
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i).key.equals(key)) {
                    Entry e = new Entry(key, v);
                    e.comments.addAll(entries.get(i).comments);
                    e.trailing = entries.get(i).trailing;
                    entries.set(i, e);
                    return e;
                }
            }
            Entry e = new Entry(key, v);
            entries.add(e);
            return e;
        }

        Entry put(String key, String text) {
            return put(key, str(text));
        }

        Obj obj(String key) {
            for (Entry e : entries) {
                if (e.key.equals(key) && e.value instanceof Obj o) {
                    return o;
                }
            }
            Obj o = new Obj();
            put(key, o);
            return o;
        }

        Entry get(String key) {
            for (Entry e : entries) {
                if (e.key.equals(key)) {
                    return e;
                }
            }
            return null;
        }

        boolean isEmpty() {
            return entries.isEmpty() && closingComments.isEmpty();
        }

        /** Moves {@code key}'s entry right after {@code after}'s, where both exist. */
        void moveAfter(String key, String after) {
            Entry e = get(key);
            Entry a = get(after);
            if (e != null && a != null) {
                entries.remove(e);
                entries.add(entries.indexOf(a) + 1, e);
            }
        }
    }

    /** A list. */
    static final class Arr implements Value {
        final List<Entry> items = new ArrayList<>();

        Entry add(Value v) {
            Entry e = new Entry(null, v);
            items.add(e);
            return e;
        }
    }

    static Scalar str(String s) {
        return new Scalar(quote(s));
    }

    /** Always quoted: values such as hex that only look like words by chance. */
    static Scalar quoted(String s) {
        String q = quote(s);
        return new Scalar(q.startsWith("\"") ? q : "\"" + q + "\"");
    }

    static Scalar num(long n) {
        return new Scalar(Long.toString(n));
    }

    static Scalar bool(boolean b) {
        return new Scalar(Boolean.toString(b));
    }

    /** A duration in lvsd's units: whole seconds as {@code 5s}, else milliseconds, else microseconds. */
    static Scalar duration(long micros) {
        if (micros % 1_000_000 == 0) {
            return new Scalar(micros / 1_000_000 + "s");
        }
        if (micros % 1_000 == 0) {
            return new Scalar(micros / 1_000 + "ms");
        }
        return new Scalar(micros + "us");
    }

    static Arr strings(List<String> values) {
        Arr a = new Arr();
        for (String v : values) {
            a.add(str(v));
        }
        return a;
    }

    /** Unquoted where HOCON reads the word back as the same string, else a JSON string. */
    static String quote(String s) {
        if (BARE.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(Locale.ROOT)) || DURATION.matcher(s).matches()) {
            return s;
        }
        return io.lvsd.linux.Quoted.of(s);
    }

    static String key(String k) {
        return BARE_KEY.matcher(k).matches() && !RESERVED.contains(k.toLowerCase(Locale.ROOT)) ? k : quote0(k);
    }

    private static String quote0(String k) {
        String q = quote(k);
        return q.startsWith("\"") ? q : "\"" + q + "\"";
    }

    /** Renders the members of a top-level object. */
    static String render(Obj top) {
        StringBuilder b = new StringBuilder();
        members(b, top.entries, top.closingComments, 0, true);
        return b.toString();
    }

    private static void members(StringBuilder b, List<Entry> entries, List<String> closing, int indent, boolean top) {
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (top && i > 0) {
                b.append('\n');
            }
            for (String c : e.comments) {
                comment(b, c, indent);
            }
            boolean longTrailing = e.trailing != null && e.trailing.length() > 60;
            if (longTrailing) {
                comment(b, e.trailing, indent);
            }
            pad(b, indent);
            if (e.key != null) {
                b.append(key(e.key));
                b.append(e.value instanceof Obj o && !o.inline ? " " : " = ");
            }
            value(b, e.value, indent);
            if (e.trailing != null && !longTrailing) {
                b.append("   # ").append(oneLine(e.trailing));
            }
            b.append('\n');
        }
        for (String c : closing) {
            comment(b, c, indent);
        }
    }

    private static void value(StringBuilder b, Value v, int indent) {
        if (v instanceof Scalar s) {
            b.append(s.text());
        } else if (v instanceof Obj o) {
            if (o.inline && inlineable(o)) {
                b.append("{ ");
                for (int i = 0; i < o.entries.size(); i++) {
                    Entry e = o.entries.get(i);
                    b.append(i == 0 ? "" : ", ").append(key(e.key)).append(" = ");
                    value(b, e.value, indent);
                }
                b.append(" }");
                return;
            }
            b.append("{\n");
            members(b, o.entries, o.closingComments, indent + 2, false);
            pad(b, indent);
            b.append('}');
        } else if (v instanceof Arr a) {
            boolean simple = a.items.stream().allMatch(e -> e.value instanceof Scalar && e.comments.isEmpty()
                    && e.trailing == null);
            if (simple) {
                b.append('[');
                for (int i = 0; i < a.items.size(); i++) {
                    b.append(i == 0 ? "" : ", ");
                    value(b, a.items.get(i).value, indent);
                }
                b.append(']');
                return;
            }
            b.append("[\n");
            members(b, a.items, List.of(), indent + 2, false);
            pad(b, indent);
            b.append(']');
        }
    }

    private static boolean inlineable(Obj o) {
        return o.closingComments.isEmpty() && o.entries.stream().allMatch(e -> e.value instanceof Scalar
                && e.comments.isEmpty() && e.trailing == null);
    }

    private static final int WIDTH = 110;

    /** Comment lines, wrapped at word boundaries to {@value #WIDTH} columns. */
    private static void comment(StringBuilder b, String text, int indent) {
        for (String line : text.split("\n")) {
            int room = Math.max(40, WIDTH - indent - 2);
            String rest = line;
            boolean first = true;
            do {
                String part = rest;
                if (rest.length() > room) {
                    int cut = rest.lastIndexOf(' ', room);
                    cut = cut <= 0 ? room : cut;
                    part = rest.substring(0, cut);
                    rest = rest.substring(cut).stripLeading();
                } else {
                    rest = "";
                }
                pad(b, indent);
                b.append(part.isEmpty() ? "#" : (first ? "# " : "#   ") + part).append('\n');
                first = false;
            } while (!rest.isEmpty());
        }
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }

    private static void pad(StringBuilder b, int n) {
        b.append(" ".repeat(n));
    }
}
