package io.lvsd.keepalived;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a keepalived configuration as keepalived.conf(5) defines it, into a tree of {@link Stmt}s.
 *
 * <p>Per line, in keepalived's order: comments ({@code #} or {@code !} outside double quotes, {@code \#}
 * escapes one), {@code include} and its checking variants (detected before anything else, so they take
 * neither conditions nor parameters), {@code @id} / {@code @^id} conditions against the config id,
 * {@code $NAME=value} definitions (multi-line with a trailing backslash), {@code ~SEQ}, {@code ~SEQx} and
 * {@code ~LST} repetitions, and parameter substitution ({@code $NAME} before white space, {@code ${NAME}}
 * anywhere, at use time and recursively; an undefined parameter stays as written). Then words: double or
 * single quotes group words and keep their white space, with C-style escapes inside them, and braces are
 * tokens of their own even when glued to a word ({@code VI_1{}). A block's brace may open on the next line.
 *
 * <p>The reader is bounded against hostile input: includes nest at most {@value #MAX_INCLUDE_DEPTH} deep and
 * never in a cycle, blocks at most {@value #MAX_BLOCK_DEPTH} deep, and repetitions and substitutions expand to
 * at most {@value #MAX_LINES} lines and {@value #MAX_CHARS} characters, so memory stays bounded whatever counts
 * a file claims.
 */
public final class KeepalivedReader {
    /** Deepest include nesting (keepalived has no limit; a loop would never end). */
    public static final int MAX_INCLUDE_DEPTH = 32;
    /** Deepest block nesting; keepalived's grammar needs five. */
    public static final int MAX_BLOCK_DEPTH = 64;
    /** Most lines that all files, repetitions and substitutions together may produce. */
    public static final int MAX_LINES = 1_000_000;
    /** Most characters of words that all lines together may produce (keepalived files are rarely 1 MiB). */
    public static final int MAX_CHARS = 64 << 20;
    private static final int MAX_EXPANSION_DEPTH = 64;
    private static final Set<String> INCLUDES = Set.of("include", "includer", "includem", "includew", "includeb",
            "includea");
    private static final Pattern DEFINITION = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_]*)=(.*)", Pattern.DOTALL);
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** What the reader needs from a file system: tests and the fuzzer supply an in-memory one. */
    public interface Files {
        /** The bytes of a file. */
        byte[] read(Path file) throws IOException;

        /** Regular files matching a glob ({@code *}, {@code ?}, {@code [..]}, {@code {a,b}}), sorted. */
        List<Path> glob(Path pattern) throws IOException;
    }

    /** The real file system. */
    public static final Files DISK = new Files() {
        @Override
        public byte[] read(Path file) throws IOException {
            return java.nio.file.Files.readAllBytes(file);
        }

        @Override
        public List<Path> glob(Path pattern) throws IOException {
            return diskGlob(pattern);
        }
    };

    /**
     * The statements read, and what the operator should know about the reading itself.
     *
     * @param statements  the top-level statements of the main file with its includes in place
     * @param diagnostics includes that matched nothing, values that only keepalived can compute
     * @param files       every file read, in order, as displayed
     */
    public record Result(List<Stmt> statements, List<Diagnostic> diagnostics, List<String> files) {
        public Result {
            statements = List.copyOf(statements);
            diagnostics = List.copyOf(diagnostics);
            files = List.copyOf(files);
        }
    }

    private record Tok(String text, boolean brace, Source at) {}

    private final Files files;
    private final Path root;
    private final String configId;
    private final Map<String, String> defs = new HashMap<>();
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final List<String> read = new ArrayList<>();
    private final Deque<Path> including = new ArrayDeque<>();
    /** Tokens, with {@code null} at each line's end. */
    private final List<Tok> tokens = new ArrayList<>();
    private int lines;
    private long chars;
    private int pos;

    private KeepalivedReader(Files files, Path main, String configId) {
        this.files = files;
        Path abs = main.toAbsolutePath().normalize();
        this.root = abs.getParent() == null ? abs : abs.getParent();
        this.configId = configId;
    }

    /**
     * Reads {@code main} and what it includes.
     *
     * @param configId keepalived's config id ({@code -i}; by default the host name up to its first dot), which
     *                 {@code @id} lines are compared against
     * @throws KeepalivedSyntaxException the input cannot be read as keepalived would read it: the place and why
     * @throws IOException               {@code main} itself cannot be read
     */
    public static Result read(Files files, Path main, String configId) throws KeepalivedSyntaxException, IOException {
        KeepalivedReader r = new KeepalivedReader(files, main, configId);
        Path abs = main.toAbsolutePath().normalize();
        byte[] bytes = files.read(abs);
        r.readFile(abs, bytes, null);
        List<Stmt> top = r.block(0, null);
        return new Result(top, r.diagnostics, r.read);
    }

    /** Reads {@code main} from disk. */
    public static Result read(Path main, String configId) throws KeepalivedSyntaxException, IOException {
        return read(DISK, main, configId);
    }

    private String display(Path p) {
        Path n = p.toAbsolutePath().normalize();
        return n.startsWith(root) && !n.equals(root) ? root.relativize(n).toString() : n.toString();
    }

    // ---- lines ----------------------------------------------------------------------------------------

    private void readFile(Path file, byte[] bytes, Source from) throws KeepalivedSyntaxException, IOException {
        String name = display(file);
        if (including.contains(file)) {
            throw new KeepalivedSyntaxException(from, "include of " + name + " loops back to itself");
        }
        if (including.size() >= MAX_INCLUDE_DEPTH) {
            throw new KeepalivedSyntaxException(from, "includes nest deeper than " + MAX_INCLUDE_DEPTH);
        }
        including.push(file);
        read.add(name);
        String saved = defs.get("_PWD");
        defs.put("_PWD", file.getParent() == null ? "/" : file.getParent().toString());
        String[] text = decode(bytes).split("\r?\n", -1);
        for (int i = 0; i < text.length; i++) {
            Source at = new Source(name, i + 1);
            count(at, 1);
            String line = decomment(text[i], at);
            if (line.isEmpty()) {
                continue;
            }
            String first = line.split("[ \t]", 2)[0];
            if (INCLUDES.contains(first)) {
                include(first, line.substring(first.length()).trim(), at);
                continue;
            }
            Matcher def = DEFINITION.matcher(line);
            if (def.matches() && def.group(2).endsWith("\\")) {
                // A multi-line definition: every line but the last ends with a backslash.
                StringBuilder value = new StringBuilder(strip(def.group(2)));
                while (text.length > i + 1) {
                    i++;
                    count(at, 1);
                    String more = decomment(text[i], new Source(name, i + 1));
                    if (!value.isEmpty()) {
                        value.append('\n');
                    }
                    if (!more.endsWith("\\")) {
                        value.append(more);
                        break;
                    }
                    value.append(strip(more));
                }
                defs.put(def.group(1), value.toString().strip());
                continue;
            }
            process(line, at, 0);
        }
        if (saved == null) {
            defs.remove("_PWD");
        } else {
            defs.put("_PWD", saved);
        }
        including.pop();
    }

    private static String strip(String continued) {
        return continued.substring(0, continued.length() - 1).strip();
    }

    private static String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("a replacing decoder never throws", e);
        }
    }

    private void count(Source at, int n) throws KeepalivedSyntaxException {
        lines += n;
        if (lines > MAX_LINES) {
            throw new KeepalivedSyntaxException(at, "the configuration expands to more than " + MAX_LINES + " lines");
        }
    }

    /** keepalived's comment rule: {@code #} and {@code !} outside double quotes end the line. */
    private String decomment(String raw, Source at) {
        StringBuilder b = new StringBuilder(raw.length());
        boolean quote = false;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '"') {
                quote = !quote;
            } else if (c == '\\' && i + 1 < raw.length()) {
                char n = raw.charAt(i + 1);
                if (!quote && (n == '#' || n == '!')) {
                    b.append(n);
                    i++;
                    continue;
                }
                b.append(c).append(n);
                i++;
                continue;
            } else if (!quote && (c == '#' || c == '!')) {
                break;
            }
            b.append(c);
        }
        return b.toString().strip();
    }

    private void include(String how, String pattern, Source at) throws KeepalivedSyntaxException, IOException {
        if (pattern.isEmpty()) {
            diagnostics.add(new Diagnostic(at, Diagnostic.Kind.TODO, how + " without a file name"));
            return;
        }
        String unquoted = pattern.length() > 1 && (pattern.startsWith("\"") && pattern.endsWith("\"")
                || pattern.startsWith("'") && pattern.endsWith("'")) ? pattern.substring(1, pattern.length() - 1)
                : pattern;
        Path base = including.peek().getParent();
        List<Path> found;
        try {
            Path glob = base == null ? Path.of(unquoted) : base.resolve(unquoted);
            found = files.glob(glob.normalize());
        } catch (java.nio.file.InvalidPathException | java.util.regex.PatternSyntaxException e) {
            diagnostics.add(new Diagnostic(at, Diagnostic.Kind.TODO, how + " " + unquoted + ": not a file name or"
                    + " pattern (" + e.getMessage().replace('\0', '?') + ")"));
            return;
        } catch (IOException e) {
            found = List.of();
        }
        if (found.isEmpty()) {
            boolean wild = unquoted.matches(".*[*?\\[{].*");
            if (how.equals("include") || how.equals("includem") && wild) {
                diagnostics.add(new Diagnostic(at, Diagnostic.Kind.WARNING, "no file matches " + unquoted
                        + (how.equals("include") ? " (keepalived ignores this include, and so does the import)"
                                : " (keepalived accepts an empty wildcard match here)")));
            } else {
                diagnostics.add(new Diagnostic(at, Diagnostic.Kind.TODO, "no file matches " + unquoted
                        + " (keepalived reports a configuration error for " + how + ")"));
            }
            return;
        }
        for (Path p : found) {
            byte[] bytes;
            try {
                bytes = files.read(p);
            } catch (IOException e) {
                diagnostics.add(new Diagnostic(at, Diagnostic.Kind.TODO, "cannot read " + display(p) + ": "
                        + (e instanceof NoSuchFileException ? "no such file" : e.getMessage())));
                continue;
            }
            readFile(p.toAbsolutePath().normalize(), bytes, at);
        }
    }

    /** Conditions, definitions, repetitions and substitution, then words. */
    private void process(String line, Source at, int depth) throws KeepalivedSyntaxException {
        if (depth > MAX_EXPANSION_DEPTH) {
            throw new KeepalivedSyntaxException(at, "parameters expand deeper than " + MAX_EXPANSION_DEPTH
                    + " levels (a definition that uses itself?)");
        }
        if (line.startsWith("@")) {
            int sp = indexOfBlank(line);
            String word = line.substring(1, sp);
            boolean negate = word.startsWith("^");
            String id = negate ? word.substring(1) : word;
            if (id.equals(configId) == negate) {
                return;
            }
            line = line.substring(sp).strip();
            if (line.isEmpty()) {
                return;
            }
        }
        Matcher def = DEFINITION.matcher(line);
        if (def.matches()) {
            defs.put(def.group(1), def.group(2).strip());
            return;
        }
        if (line.startsWith("~SEQ") || line.startsWith("~LST")) {
            repeat(line, at, depth);
            return;
        }
        String s = substitute(line, at);
        if (!s.equals(line)) {
            for (String part : s.split("\n")) {
                String p = part.strip();
                if (!p.isEmpty()) {
                    count(at, 1);
                    process(p, at, depth + 1);
                }
            }
            return;
        }
        words(line, at);
    }

    private static int indexOfBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
                return i;
            }
        }
        return s.length();
    }

    private String substitute(String line, Source at) throws KeepalivedSyntaxException {
        StringBuilder b = new StringBuilder(line.length());
        int i = 0;
        while (i < line.length()) {
            if (b.length() > MAX_CHARS) {
                throw new KeepalivedSyntaxException(at, "the configuration expands to more than " + MAX_CHARS
                        + " characters");
            }
            char c = line.charAt(i);
            if (c != '$' || i + 1 >= line.length()) {
                b.append(c);
                i++;
                continue;
            }
            if (line.charAt(i + 1) == '{') {
                int close = line.indexOf('}', i + 2);
                if (close > 0) {
                    String inner = line.substring(i + 2, close);
                    String name = inner.split("[ \t]", 2)[0];
                    String value = predefined(name, inner, at);
                    if (value == null) {
                        value = defs.get(name);
                    }
                    if (value != null && NAME.matcher(name).matches()) {
                        b.append(value);
                        i = close + 1;
                        continue;
                    }
                }
                b.append(c);
                i++;
                continue;
            }
            int end = i + 1;
            while (end < line.length() && (Character.isLetterOrDigit(line.charAt(end)) || line.charAt(end) == '_')
                    && line.charAt(end) < 128) {
                end++;
            }
            String name = line.substring(i + 1, end);
            boolean atBlank = end == line.length() || line.charAt(end) == ' ' || line.charAt(end) == '\t';
            if (atBlank && NAME.matcher(name).matches() && defs.containsKey(name)) {
                b.append(defs.get(name));
                i = end;
                continue;
            }
            b.append(c);
            i++;
        }
        return b.toString();
    }

    private String predefined(String name, String inner, Source at) {
        switch (name) {
            case "_HASH":
                return "#";
            case "_BANG":
                return "!";
            case "_INSTANCE":
                return configId;
            case "_RANDOM":
                diagnostics.add(new Diagnostic(at, Diagnostic.Kind.TODO, "${" + inner + "} is a new random number"
                        + " each time keepalived starts; the import cannot choose one for you"));
                return null;
            default:
                return null;
        }
    }

    // ---- ~SEQ and ~LST ------------------------------------------------------------------------------------

    private void repeat(String line, Source at, int depth) throws KeepalivedSyntaxException {
        int open = line.indexOf('(');
        int close = matching(line, open);
        if (open < 0 || close < 0) {
            throw new KeepalivedSyntaxException(at, "'" + line.split("[ \t(]", 2)[0] + "' without a closing ')'");
        }
        String kind = line.substring(0, open).strip();
        String spec = line.substring(open + 1, close);
        String rest = line.substring(close + 1).strip();
        List<String> vars;
        List<List<String>> rows = new ArrayList<>();
        switch (kind) {
            case "~SEQ", "~SEQx" -> {
                List<String> p = splitTop(spec);
                if (p.size() < 2 || p.size() > 4 || !NAME.matcher(p.get(0)).matches()) {
                    throw new KeepalivedSyntaxException(at, kind + "(" + spec + "): expected (var, [start, [step,]] end)");
                }
                vars = List.of(p.get(0));
                long end = number(p.get(p.size() - 1), kind, at);
                long start = p.size() >= 3 ? number(p.get(1), kind, at) : end >= 0 ? 1 : -1;
                long step = p.size() == 4 ? number(p.get(2), kind, at) : end >= start ? 1 : -1;
                if (step == 0) {
                    throw new KeepalivedSyntaxException(at, kind + "(" + spec + "): a step of 0 never ends");
                }
                // A step that leads away from the end repeats nothing.
                long n = step > 0 && end < start || step < 0 && end > start ? 0 : (end - start) / step + 1;
                count(at, (int) Math.min(n, MAX_LINES + 1L));
                for (long k = 0, v = start; k < n; k++, v += step) {
                    rows.add(List.of(kind.equals("~SEQx") ? Long.toHexString(v) : Long.toString(v)));
                }
            }
            case "~LST" -> {
                List<String> p = splitTop(spec);
                if (p.size() < 2) {
                    throw new KeepalivedSyntaxException(at, "~LST(" + spec + "): expected (var, value, ...)");
                }
                vars = group(p.get(0));
                for (String v : vars) {
                    if (!NAME.matcher(v).matches()) {
                        throw new KeepalivedSyntaxException(at, "~LST: '" + v + "' is not a parameter name");
                    }
                }
                count(at, p.size() - 1);
                for (String v : p.subList(1, p.size())) {
                    List<String> values = group(v);
                    if (values.size() != vars.size()) {
                        throw new KeepalivedSyntaxException(at, "~LST: " + v + " has " + values.size() + " values for "
                                + vars.size() + " parameters");
                    }
                    rows.add(values);
                }
            }
            default -> throw new KeepalivedSyntaxException(at, "unknown repetition '" + kind + "' (expected ~SEQ, ~SEQx or ~LST)");
        }
        if (rest.isEmpty()) {
            return;
        }
        Map<String, String> saved = new HashMap<>();
        for (String v : vars) {
            saved.put(v, defs.get(v));
        }
        for (List<String> row : rows) {
            for (int k = 0; k < vars.size(); k++) {
                defs.put(vars.get(k), row.get(k));
            }
            process(rest, at, depth + 1);
        }
        for (String v : vars) {
            if (saved.get(v) == null) {
                defs.remove(v);
            } else {
                defs.put(v, saved.get(v));
            }
        }
    }

    private static int matching(String s, int open) {
        if (open < 0) {
            return -1;
        }
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            if (s.charAt(i) == '(') {
                depth++;
            } else if (s.charAt(i) == ')' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    /** Splits on commas outside {@code { }}. */
    private static List<String> splitTop(String spec) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int from = 0;
        for (int i = 0; i < spec.length(); i++) {
            char c = spec.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(spec.substring(from, i).strip());
                from = i + 1;
            }
        }
        out.add(spec.substring(from).strip());
        return out;
    }

    private static List<String> group(String v) {
        if (v.startsWith("{") && v.endsWith("}")) {
            List<String> out = new ArrayList<>();
            for (String p : v.substring(1, v.length() - 1).split(",", -1)) {
                out.add(p.strip());
            }
            return out;
        }
        return List.of(v);
    }

    private static long number(String s, String kind, Source at) throws KeepalivedSyntaxException {
        try {
            String t = s.strip();
            boolean neg = t.startsWith("-");
            String d = neg ? t.substring(1) : t;
            long v = d.startsWith("0x") || d.startsWith("0X") ? Long.parseLong(d.substring(2), 16) : Long.parseLong(d);
            if (v > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return neg ? -v : v;
        } catch (NumberFormatException e) {
            throw new KeepalivedSyntaxException(at, kind + ": '" + s + "' is not a number");
        }
    }

    // ---- words and blocks ---------------------------------------------------------------------------------

    private void words(String line, Source at) throws KeepalivedSyntaxException {
        chars += line.length();
        if (chars > MAX_CHARS) {
            throw new KeepalivedSyntaxException(at, "the configuration expands to more than " + MAX_CHARS + " characters");
        }
        StringBuilder w = null;
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t' || c == '\f' || c == '\u000b' || c == '\r') {
                if (w != null) {
                    tokens.add(new Tok(w.toString(), false, at));
                    w = null;
                }
                i++;
            } else if (c == '{' || c == '}') {
                if (w != null) {
                    tokens.add(new Tok(w.toString(), false, at));
                    w = null;
                }
                tokens.add(new Tok(String.valueOf(c), true, at));
                i++;
            } else if (c == '"' || c == '\'') {
                if (w == null) {
                    w = new StringBuilder();
                }
                i = quoted(line, i, w, at);
            } else {
                if (w == null) {
                    w = new StringBuilder();
                }
                w.append(c);
                i++;
            }
        }
        if (w != null) {
            tokens.add(new Tok(w.toString(), false, at));
        }
        tokens.add(null);
    }

    /** Appends a quoted part to {@code w}; returns the index after its closing quote. */
    private static int quoted(String line, int open, StringBuilder w, Source at) throws KeepalivedSyntaxException {
        char q = line.charAt(open);
        int i = open + 1;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == q) {
                return i + 1;
            }
            if (c == '\\' && i + 1 < line.length()) {
                i = escape(line, i + 1, w);
                continue;
            }
            w.append(c);
            i++;
        }
        throw new KeepalivedSyntaxException(at, "unterminated quote: " + q + line.substring(open + 1));
    }

    /** The escapes keepalived.conf(5) lists for quoted strings; returns the index after the escape. */
    private static int escape(String s, int i, StringBuilder w) {
        char c = s.charAt(i);
        switch (c) {
            case 'a' -> w.append('\u0007');
            case 'b' -> w.append('\b');
            case 'E' -> w.append('\u001b');
            case 'f' -> w.append('\f');
            case 'n' -> w.append('\n');
            case 'r' -> w.append('\r');
            case 't' -> w.append('\t');
            case 'v' -> w.append('\u000b');
            case 'x' -> {
                int j = i + 1;
                while (j < s.length() && j < i + 3 && Character.digit(s.charAt(j), 16) >= 0) {
                    j++;
                }
                if (j == i + 1) {
                    w.append('x');
                } else {
                    w.append((char) Integer.parseInt(s.substring(i + 1, j), 16));
                }
                return j;
            }
            case 'c' -> {
                if (i + 1 < s.length()) {
                    w.append((char) (Character.toUpperCase(s.charAt(i + 1)) ^ 0x40));
                    return i + 2;
                }
                w.append('c');
            }
            default -> {
                if (c >= '0' && c <= '7') {
                    int j = i;
                    while (j < s.length() && j < i + 3 && s.charAt(j) >= '0' && s.charAt(j) <= '7') {
                        j++;
                    }
                    w.append((char) (Integer.parseInt(s.substring(i, j), 8) & 0xff));
                    return j;
                }
                w.append(c);
            }
        }
        return i + 1;
    }

    private boolean atEnd() {
        return pos >= tokens.size();
    }

    /** Where the block just read was closed. */
    private Source closedAt;

    private List<Stmt> block(int depth, Tok opened) throws KeepalivedSyntaxException {
        if (depth > MAX_BLOCK_DEPTH) {
            throw new KeepalivedSyntaxException(opened.at(), "blocks nest deeper than " + MAX_BLOCK_DEPTH);
        }
        List<Stmt> out = new ArrayList<>();
        while (true) {
            while (!atEnd() && tokens.get(pos) == null) {
                pos++;
            }
            if (atEnd()) {
                if (opened != null) {
                    throw new KeepalivedSyntaxException(opened.at(), "'{' is never closed (a '}' is missing)");
                }
                return out;
            }
            Tok t = tokens.get(pos++);
            if (t.brace() && t.text().equals("}")) {
                if (opened != null) {
                    closedAt = t.at();
                    return out;
                }
                throw new KeepalivedSyntaxException(t.at(), "extra '}' (no block is open here)");
            }
            if (t.brace()) {
                throw new KeepalivedSyntaxException(t.at(), "'{' without a keyword before it");
            }
            List<String> args = new ArrayList<>();
            while (!atEnd() && tokens.get(pos) != null && !tokens.get(pos).brace()) {
                args.add(tokens.get(pos++).text());
            }
            List<Stmt> sub = null;
            Source end = null;
            int look = pos;
            while (look < tokens.size() && tokens.get(look) == null) {
                look++;
            }
            if (look < tokens.size() && tokens.get(look).brace() && tokens.get(look).text().equals("{")) {
                pos = look + 1;
                sub = block(depth + 1, tokens.get(look));
                end = closedAt;
            }
            out.add(new Stmt(t.text(), args, sub, t.at(), end));
        }
    }

    // ---- globs ----------------------------------------------------------------------------------------------

    static List<Path> diskGlob(Path pattern) throws IOException {
        String s = pattern.toString();
        int wild = -1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == '{') {
                wild = i;
                break;
            }
        }
        if (wild < 0) {
            return java.nio.file.Files.isRegularFile(pattern) ? List.of(pattern) : List.of();
        }
        int slash = s.lastIndexOf('/', wild);
        Path base = Path.of(slash <= 0 ? "/" : s.substring(0, slash));
        int depth = (int) s.substring(slash + 1).chars().filter(ch -> ch == '/').count() + 1;
        if (!java.nio.file.Files.isDirectory(base)) {
            return List.of();
        }
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + s);
        try (Stream<Path> walk = java.nio.file.Files.walk(base, depth)) {
            return walk.filter(p -> base.relativize(p).getNameCount() == depth && m.matches(p)
                    && java.nio.file.Files.isRegularFile(p)).sorted().toList();
        }
    }
}
