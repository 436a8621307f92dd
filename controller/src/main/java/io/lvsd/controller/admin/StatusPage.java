package io.lvsd.controller.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The admin endpoint's page ({@code GET /}): the {@link StatusView} summary as HTML, read-only. The tables are
 * rendered on the server, so the page is whole without JavaScript (it then reloads itself every
 * {@link #NO_SCRIPT_REFRESH_SECONDS}); with JavaScript, {@code lvsd.js} fetches {@code /?part=main} every
 * {@link #POLL_MILLIS} and swaps the tables in place. Style and script come from the jar: no CDN, nothing built at
 * run time, and a Content-Security-Policy that allows nothing else.
 */
public final class StatusPage {
    private StatusPage() {
    }

    public static final int POLL_MILLIS = 2_000;
    public static final int NO_SCRIPT_REFRESH_SECONDS = 10;
    /** Allows the page's own style and script, nothing inline, nothing from elsewhere, no framing. */
    public static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; "
                    + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /** The files the page loads, by path, with their content type. */
    static final Map<String, String> ASSETS = Map.of("/lvsd.css", "text/css; charset=utf-8",
            "/lvsd.js", "text/javascript; charset=utf-8");

    /** The whole page for {@code sections}; {@code director} names it. */
    public static String page(String director, List<StatusView.Section> sections) {
        String title = "lvsd " + StatusView.esc(director);
        return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                + "<title>" + title + "</title>\n"
                + "<link rel=\"stylesheet\" href=\"/lvsd.css\">\n"
                + "<noscript><meta http-equiv=\"refresh\" content=\"" + NO_SCRIPT_REFRESH_SECONDS + "\"></noscript>\n"
                + "<script src=\"/lvsd.js\" defer></script>\n"
                + "</head>\n<body>\n<header><h1>" + title + "</h1>"
                + "<p id=\"live\" data-poll-ms=\"" + POLL_MILLIS + "\">read-only; updated when loaded</p>"
                + "<nav>" + nav(sections) + "</nav></header>\n"
                + "<main id=\"status\">\n" + StatusView.html(sections) + "</main>\n"
                + "<footer><a href=\"/status\">/status</a> (JSON) &middot; <a href=\"/metrics\">/metrics</a></footer>\n"
                + "</body>\n</html>\n";
    }

    /** Just the main element's content, for the page's live update. */
    public static String main(List<StatusView.Section> sections) {
        return StatusView.html(sections);
    }

    private static String nav(List<StatusView.Section> sections) {
        StringBuilder b = new StringBuilder();
        for (StatusView.Section s : sections) {
            b.append("<a href=\"#").append(StatusView.esc(s.id())).append("\">").append(StatusView.esc(s.heading()))
                    .append("</a> ");
        }
        return b.toString().strip();
    }

    /** An asset's bytes from the jar, or null when {@code path} is none of them. */
    static byte[] asset(String path) {
        if (!ASSETS.containsKey(path)) {
            return null;
        }
        try (InputStream in = StatusPage.class.getResourceAsStream("page" + path)) {
            if (in == null) {
                throw new IllegalStateException("page" + path + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
