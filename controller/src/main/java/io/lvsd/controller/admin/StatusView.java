package io.lvsd.controller.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The summary an operator reads, made from the {@code /status} document: one model, rendered as terminal tables
 * for {@code lvsd status} ({@link #text}) and as the admin page's body for {@code GET /} ({@link #html}), so the
 * two always say the same. It reads the document as a JSON tree (the daemon's own report, or what a daemon of
 * another version sent), and a field it does not find shows as "-".
 */
public final class StatusView {
    private StatusView() {
    }

    /** How many of the latest events the summary shows, newest first. */
    public static final int EVENTS_SHOWN = 50;

    /** A table: a title line, column headers, rows (each as long as the headers), and what to say when empty. */
    public record Table(String title, List<String> headers, List<List<String>> rows, String empty) {
        public Table {
            headers = List.copyOf(headers);
            rows = rows.stream().map(List::copyOf).toList();
        }
    }

    /** One part of the summary: its id (the page's anchor), a heading, lines of text, and tables. */
    public record Section(String id, String heading, List<String> lines, List<Table> tables) {
        public Section {
            lines = List.copyOf(lines);
            tables = List.copyOf(tables);
        }
    }

    /** The summary of {@code status}. */
    public static List<Section> of(JsonNode status) {
        List<Section> out = new ArrayList<>();
        out.add(director(status));
        out.add(vrrp(status.path("vrrp")));
        out.add(services(status.path("ipvs"), status.path("health")));
        out.add(sync(status.path("sync")));
        out.add(routing(status.path("routing")));
        out.add(events(status.path("events")));
        return out;
    }

    // ---- the sections

    private static Section director(JsonNode s) {
        List<String> lines = new ArrayList<>();
        lines.add("director " + str(s, "director") + ", lvsd " + str(s, "version") + ", pid " + str(s, "pid")
                + ", up " + uptime(s.path("uptime_seconds")) + " (since " + time(str(s, "started_at")) + ")");
        String file = s.path("config").path("file").asText(null);
        if (file != null) {
            lines.add("configuration " + file);
        }
        for (JsonNode e : s.path("last_reload_errors")) {
            lines.add("last reload FAILED: " + e.asText());
        }
        List<String> changes = new ArrayList<>();
        s.path("last_reload").fields().forEachRemaining(c -> {
            for (JsonNode a : c.getValue()) {
                changes.add(c.getKey() + ": " + a.asText());
            }
        });
        if (!changes.isEmpty()) {
            lines.add("last reload changed: " + String.join("; ", changes));
        }
        return new Section("director", "Director", lines, List.of());
    }

    private static Section vrrp(JsonNode instances) {
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode i : instances) {
            int configured = i.path("configured_priority").asInt();
            int effective = i.path("effective_priority").asInt();
            String state = str(i, "state");
            if (i.hasNonNull("fault_reason")) {
                state += " (" + i.path("fault_reason").asText() + ")";
            }
            String transition = i.hasNonNull("last_transition")
                    ? time(i.path("last_transition").asText()) + " (" + str(i, "last_transition_reason") + ")" : "-";
            rows.add(List.of(str(i, "name"), str(i, "interface_name"), str(i, "virtual_router_id"), "v" + str(i, "version"),
                    state, configured == effective ? Integer.toString(effective) : effective + " (configured " + configured + ")",
                    str(i, "master_address"), join(i.path("virtual_addresses")), str(i, "sync_group"), transition));
        }
        return new Section("vrrp", "VRRP", List.of(), List.of(new Table(null, List.of("Instance", "Interface", "VRID",
                "Version", "State", "Priority", "Master", "VIPs", "Sync group", "Last transition"), rows,
                "no VRRP instance")));
    }

    private static Section services(JsonNode ipvs, JsonNode health) {
        List<String> lines = new ArrayList<>();
        if (!ipvs.path("available").asBoolean(false)) {
            lines.add("IPVS unavailable: " + str(ipvs, "error"));
        } else {
            lines.add("last reconcile " + str(ipvs, "last_reconcile") + ", " + str(ipvs, "drift_corrections")
                    + " drift correction(s)");
        }
        for (JsonNode f : ipvs.path("last_failures")) {
            lines.add("failed: " + f.asText());
        }
        if (ipvs.path("foreign_services").size() > 0) {
            lines.add("foreign services (not lvsd's, left alone): " + join(ipvs.path("foreign_services")));
        }
        // Health by service name and real server; quorum by service name.
        Map<String, Map<String, JsonNode>> checks = new LinkedHashMap<>();
        for (JsonNode h : health.path("real_servers")) {
            checks.computeIfAbsent(h.path("service").asText(), k -> new LinkedHashMap<>())
                    .put(h.path("real_server").asText(), h);
        }
        Map<String, JsonNode> quorum = new HashMap<>();
        for (JsonNode q : health.path("services")) {
            quorum.put(q.path("service").asText(), q);
        }
        List<Table> tables = new ArrayList<>();
        Set<String> shown = new HashSet<>();
        for (JsonNode v : ipvs.path("services")) {
            String name = v.path("name").asText(null);
            Map<String, JsonNode> byRs = checks.getOrDefault(name, Map.of());
            List<List<String>> rows = new ArrayList<>();
            Set<String> inTable = new HashSet<>();
            for (JsonNode r : v.path("real_servers")) {
                String rs = r.path("address").asText();
                inTable.add(rs);
                JsonNode h = byRs.get(rs);
                rows.add(List.of(rs, forwarding(r.path("forwarding").asText()), str(r, "weight"),
                        str(r, "active_connections"), str(r, "inactive_connections"), health(h), lastCheck(h)));
            }
            for (Map.Entry<String, JsonNode> e : byRs.entrySet()) {
                if (!inTable.contains(e.getKey())) {
                    rows.add(List.of(e.getKey(), "-", "-", "-", "-", health(e.getValue()) + ", not in the table",
                            lastCheck(e.getValue())));
                }
            }
            if (name != null) {
                shown.add(name);
            }
            String title = str(v, "rule") + (name == null ? " (not lvsd's)" : "  [" + name + "]")
                    + "  conns " + str(v, "connections") + rates(v) + quorum(quorum.get(name));
            tables.add(new Table(title, REAL_SERVER_HEADERS, rows, "no real server"));
        }
        // Configured services the kernel does not have (IPVS unavailable, or not applied yet).
        for (Map.Entry<String, Map<String, JsonNode>> e : checks.entrySet()) {
            if (shown.contains(e.getKey())) {
                continue;
            }
            List<List<String>> rows = new ArrayList<>();
            for (Map.Entry<String, JsonNode> r : e.getValue().entrySet()) {
                rows.add(List.of(r.getKey(), "-", str(r.getValue(), "weight"), "-", "-", health(r.getValue()),
                        lastCheck(r.getValue())));
            }
            tables.add(new Table("[" + e.getKey() + "] not in the kernel's table" + quorum(quorum.get(e.getKey())),
                    REAL_SERVER_HEADERS, rows, "no real server"));
        }
        if (tables.isEmpty()) {
            lines.add("no virtual service");
        }
        return new Section("services", "Virtual services", lines, tables);
    }

    static final List<String> REAL_SERVER_HEADERS = List.of("Real server", "Forward", "Weight", "ActiveConn",
            "InActConn", "Health", "Last check");

    private static Section sync(JsonNode s) {
        List<String> lines = new ArrayList<>();
        if (!s.path("enabled").asBoolean(false)) {
            return new Section("sync", "Connection sync", List.of("off"), List.of());
        }
        lines.add("on " + str(s, "interface_name") + ", sync-id " + str(s, "sync_id") + ", daemons "
                + (s.path("daemons").size() == 0 ? "none" : join(s.path("daemons")))
                + (s.hasNonNull("follow") ? ", following " + str(s, "follow") + " (" + str(s, "followed_state") + ")" : ""));
        if (s.hasNonNull("fail_back")) {
            lines.add("fail-back: " + s.path("fail_back").asText());
        }
        if (s.hasNonNull("last_change")) {
            lines.add("last change: " + s.path("last_change").asText());
        }
        for (String k : List.of("error", "watch_error")) {
            if (s.hasNonNull(k)) {
                lines.add("error: " + s.path(k).asText());
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode x : s.path("senders")) {
            JsonNode age = x.path("last_message_age_seconds");
            rows.add(List.of(str(x, "address"), str(x, "sync_id"), str(x, "messages"), str(x, "entries"),
                    str(x, "decode_errors"), age.isNumber() ? String.format(Locale.ROOT, "%.1f s ago", age.asDouble()) : "-"));
        }
        return new Section("sync", "Connection sync", lines, List.of(new Table("Heard on the sync group",
                List.of("Sender", "Sync-id", "Messages", "Entries", "Errors", "Last message"), rows, "nothing heard")));
    }

    private static Section routing(JsonNode s) {
        if (!s.path("enabled").asBoolean(false)) {
            return new Section("routing", "VIP announcement", List.of("off"), List.of());
        }
        List<String> lines = new ArrayList<>();
        lines.add("daemon " + str(s, "daemon") + ", announcement table " + str(s, "table")
                + (s.path("draining").asBoolean(false) ? ", director DRAINING (every VIP withdrawn)" : ""));
        for (String k : List.of("error", "sessions_error")) {
            if (s.hasNonNull(k)) {
                lines.add("error: " + s.path(k).asText());
            }
        }
        List<List<String>> vips = new ArrayList<>();
        for (JsonNode v : s.path("vips")) {
            vips.add(List.of(str(v, "vip"), v.path("announced").asBoolean() ? "announced" : "withdrawn",
                    str(v, "reason"), time(str(v, "since"))));
        }
        List<List<String>> sessions = new ArrayList<>();
        for (JsonNode x : s.path("sessions")) {
            sessions.add(List.of(str(x, "name"), str(x, "kind"), str(x, "state"), str(x, "since")));
        }
        return new Section("routing", "VIP announcement", lines, List.of(
                new Table("VIPs", List.of("VIP", "State", "Why", "Since"), vips, "no VIP"),
                new Table("Routing daemon sessions", List.of("Session", "Kind", "State", "Since"), sessions,
                        "none read")));
    }

    private static Section events(JsonNode events) {
        List<List<String>> rows = new ArrayList<>();
        for (int i = events.size() - 1; i >= 0 && rows.size() < EVENTS_SHOWN; i--) {
            JsonNode e = events.get(i);
            rows.add(List.of(time(str(e, "at")), str(e, "source"), str(e, "level"), str(e, "text")));
        }
        return new Section("events", "Events", List.of(), List.of(new Table("latest first",
                List.of("Time", "Source", "Level", "Event"), rows, "no event yet")));
    }

    // ---- cells

    private static String str(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isMissingNode() || v.isNull() || v.asText().isEmpty() ? "-" : v.asText();
    }

    private static String join(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(a -> out.add(a.asText()));
        return out.isEmpty() ? "-" : String.join(", ", out);
    }

    /** ipvsadm's word for a forwarding method given by its key ({@code dr}: Route). */
    private static String forwarding(String key) {
        for (io.lvsd.ipvs.Forwarding f : io.lvsd.ipvs.Forwarding.values()) {
            if (f.key().equals(key)) {
                return io.lvsd.ipvs.IpvsadmFormat.forwardName(f);
            }
        }
        return key.isEmpty() ? "-" : key;
    }

    private static String health(JsonNode h) {
        if (h == null) {
            return "not checked";
        }
        String state = str(h, "state");
        return h.hasNonNull("override") ? state + " (" + h.path("override").asText() + ")" : state;
    }

    private static String lastCheck(JsonNode h) {
        if (h == null || !h.hasNonNull("last_result")) {
            return "-";
        }
        JsonNode ms = h.path("last_probe_millis");
        return h.path("last_result").asText() + (ms.isNumber() ? String.format(Locale.ROOT, " (%.1f ms)", ms.asDouble()) : "");
    }

    private static String rates(JsonNode v) {
        if (!v.has("cps")) {
            return "";
        }
        return "  " + str(v, "cps") + " conn/s, " + str(v, "in_pps") + " pkt/s in, " + str(v, "out_pps") + " pkt/s out";
    }

    private static String quorum(JsonNode q) {
        if (q == null || q.path("quorum").asInt() <= 0) {
            return "";
        }
        return "  quorum " + str(q, "state") + " (live weight " + str(q, "live_weight") + " of " + str(q, "quorum") + ")"
                + (q.hasNonNull("sorry_server") ? ", sorry server " + q.path("sorry_server").asText() : "");
    }

    private static final java.time.format.DateTimeFormatter TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT)
                    .withZone(java.time.ZoneOffset.UTC);

    /** An instant as {@code 2026-12-03 06:41:22.434} (UTC, as the log writes it); anything else as it is. */
    static String time(String instant) {
        try {
            return TIME.format(java.time.Instant.parse(instant));
        } catch (java.time.format.DateTimeParseException e) {
            return instant;
        }
    }

    static String uptime(JsonNode seconds) {
        if (!seconds.isNumber()) {
            return "-";
        }
        Duration d = Duration.ofSeconds(seconds.asLong());
        if (d.toDays() > 0) {
            return String.format(Locale.ROOT, "%dd%02dh%02dm", d.toDays(), d.toHoursPart(), d.toMinutesPart());
        }
        if (d.toHours() > 0) {
            return String.format(Locale.ROOT, "%dh%02dm", d.toHours(), d.toMinutesPart());
        }
        return String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
    }

    // ---- rendering

    /** The summary as text: each section's heading and lines, and its tables with aligned columns. */
    public static String text(List<Section> sections) {
        StringBuilder b = new StringBuilder();
        for (Section s : sections) {
            if (!b.isEmpty()) {
                b.append('\n');
            }
            b.append(s.heading()).append('\n');
            for (String l : s.lines()) {
                b.append("  ").append(l).append('\n');
            }
            for (Table t : s.tables()) {
                if (t.title() != null) {
                    b.append("  ").append(t.title()).append('\n');
                }
                if (t.rows().isEmpty()) {
                    b.append("    (").append(t.empty()).append(")\n");
                    continue;
                }
                int[] w = new int[t.headers().size()];
                for (int c = 0; c < w.length; c++) {
                    w[c] = t.headers().get(c).length();
                    for (List<String> r : t.rows()) {
                        w[c] = Math.max(w[c], r.get(c).length());
                    }
                }
                row(b, t.headers(), w);
                for (List<String> r : t.rows()) {
                    row(b, r, w);
                }
            }
        }
        return b.toString();
    }

    private static void row(StringBuilder b, List<String> cells, int[] w) {
        StringBuilder line = new StringBuilder("    ");
        for (int c = 0; c < cells.size(); c++) {
            line.append(cells.get(c));
            if (c < cells.size() - 1) {
                line.append(" ".repeat(w[c] - cells.get(c).length() + 2));
            }
        }
        b.append(line.toString().stripTrailing()).append('\n');
    }

    /**
     * The summary as the page's main element: sections, lines and tables, every value escaped. A cell that
     * starts with a state word gets that state as a class ({@code state-MASTER}, {@code state-DOWN}) for its colour.
     */
    public static String html(List<Section> sections) {
        StringBuilder b = new StringBuilder();
        for (Section s : sections) {
            b.append("<section id=\"").append(esc(s.id())).append("\"><h2>").append(esc(s.heading())).append("</h2>\n");
            for (String l : s.lines()) {
                b.append("<p>").append(esc(l)).append("</p>\n");
            }
            for (Table t : s.tables()) {
                if (t.title() != null) {
                    b.append("<h3>").append(esc(t.title())).append("</h3>\n");
                }
                if (t.rows().isEmpty()) {
                    b.append("<p class=\"empty\">").append(esc(t.empty())).append("</p>\n");
                    continue;
                }
                b.append("<div class=\"scroll\"><table><thead><tr>");
                for (String h : t.headers()) {
                    b.append("<th>").append(esc(h)).append("</th>");
                }
                b.append("</tr></thead><tbody>\n");
                for (List<String> r : t.rows()) {
                    b.append("<tr>");
                    for (String c : r) {
                        String state = stateOf(c);
                        b.append(state == null ? "<td>" : "<td class=\"state-" + state + "\">").append(esc(c)).append("</td>");
                    }
                    b.append("</tr>\n");
                }
                b.append("</tbody></table></div>\n");
            }
            b.append("</section>\n");
        }
        return b.toString();
    }

    private static final Set<String> STATES = Set.of("MASTER", "BACKUP", "FAULT", "INIT", "UP", "DOWN", "UNKNOWN",
            "DRAINING", "DRAINED", "REMOVED");

    private static String stateOf(String cell) {
        int end = 0;
        while (end < cell.length() && Character.isUpperCase(cell.charAt(end))) {
            end++;
        }
        String word = cell.substring(0, end);
        return STATES.contains(word) && (end == cell.length() || cell.charAt(end) == ' ' || cell.charAt(end) == ',')
                ? word : null;
    }

    /** Escapes text for HTML element content and double-quoted attributes. */
    public static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
