package io.lvsd.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Headless Chromium driven through the Chrome DevTools Protocol over a pipe ({@code --remote-debugging-pipe}:
 * JSON messages ended by a NUL byte, commands on the browser's fd 3, answers and events on its fd 4). No
 * debugging port is opened, and the browser runs inside a network namespace of the test's, so that it reaches
 * nothing but what the test built.
 */
final class Cdp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final OutputStream toBrowser;
    private final Map<Integer, CompletableFuture<JsonNode>> waiting = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Thread reader;
    private volatile String session;
    /** Completed by the page's next {@code Page.loadEventFired}. */
    private volatile CompletableFuture<Void> loaded = new CompletableFuture<>();

    private Cdp(Process process) {
        this.process = process;
        this.toBrowser = process.getOutputStream();
        this.reader = new Thread(this::read, "cdp-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts Chromium in network namespace {@code ns}, with a fresh profile in {@code profile} and its own log in
     * {@code log}, and opens one page.
     */
    static Cdp launch(String ns, Path profile, Path log) throws Exception {
        List<String> chromium = new ArrayList<>(List.of("chromium", "--headless=new", "--remote-debugging-pipe",
                "--no-sandbox", // the suite runs as root, where Chromium's sandbox refuses to start
                "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--mute-audio",
                "--window-size=1280,900", "about:blank"));
        // fd 3 is the browser's end of the command pipe (our stdin), fd 4 of the answer pipe (our stdout).
        String shell = "exec " + String.join(" ", chromium) + " 3<&0 0</dev/null 4>&1 1>&2";
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns, "bash", "-c", shell)
                .redirectError(log.toFile());
        Cdp cdp = new Cdp(pb.start());
        JsonNode targets = cdp.call("Target.getTargets", JSON.createObjectNode());
        String page = null;
        for (JsonNode t : targets.path("targetInfos")) {
            if (t.path("type").asText().equals("page")) {
                page = t.path("targetId").asText();
            }
        }
        if (page == null) {
            page = cdp.call("Target.createTarget", JSON.createObjectNode().put("url", "about:blank"))
                    .path("targetId").asText();
        }
        cdp.session = cdp.call("Target.attachToTarget", JSON.createObjectNode().put("targetId", page)
                .put("flatten", true)).path("sessionId").asText();
        cdp.page("Page.enable", JSON.createObjectNode());
        cdp.page("Runtime.enable", JSON.createObjectNode());
        return cdp;
    }

    /** A command to the browser itself. */
    JsonNode call(String method, ObjectNode params) throws Exception {
        return send(method, params, null);
    }

    /** A command to the page. */
    JsonNode page(String method, ObjectNode params) throws Exception {
        return send(method, params, session);
    }

    static ObjectNode params() {
        return JSON.createObjectNode();
    }

    /** Navigates and waits for the page's load event. */
    void navigate(String url) throws Exception {
        CompletableFuture<Void> load = new CompletableFuture<>();
        loaded = load;
        JsonNode r = page("Page.navigate", params().put("url", url));
        if (r.hasNonNull("errorText")) {
            throw new IOException("navigating to " + url + ": " + r.path("errorText").asText());
        }
        load.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Evaluates {@code expression} in the page and returns its value as text (null for undefined or null). */
    String eval(String expression) throws Exception {
        JsonNode r = page("Runtime.evaluate", params().put("expression", expression).put("returnByValue", true));
        if (r.has("exceptionDetails")) {
            throw new IOException(expression + ": " + r.path("exceptionDetails").toString());
        }
        JsonNode v = r.path("result").path("value");
        return v.isMissingNode() || v.isNull() ? null : v.asText();
    }

    /** A PNG of the page as it is now, {@code width} CSS pixels wide (a phone: 390). */
    byte[] screenshot(int width, int height, boolean mobile) throws Exception {
        page("Emulation.setDeviceMetricsOverride", params().put("width", width).put("height", height)
                .put("deviceScaleFactor", 1).put("mobile", mobile));
        JsonNode r = page("Page.captureScreenshot", params().put("format", "png").put("captureBeyondViewport", true));
        page("Emulation.clearDeviceMetricsOverride", params());
        return java.util.Base64.getDecoder().decode(r.path("data").asText());
    }

    private JsonNode send(String method, ObjectNode params, String sessionId) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode m = JSON.createObjectNode().put("id", id).put("method", method);
        m.set("params", params);
        if (sessionId != null) {
            m.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        waiting.put(id, f);
        synchronized (toBrowser) {
            toBrowser.write(JSON.writeValueAsBytes(m));
            toBrowser.write(0);
            toBrowser.flush();
        }
        JsonNode answer = f.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (answer.has("error")) {
            throw new IOException(method + ": " + answer.path("error").toString());
        }
        return answer.path("result");
    }

    private void read() {
        try (InputStream in = process.getInputStream()) {
            ByteArrayOutputStream msg = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != 0) {
                        msg.write(buf[i]);
                        continue;
                    }
                    JsonNode j = JSON.readTree(msg.toString(StandardCharsets.UTF_8));
                    msg.reset();
                    if (j.has("id")) {
                        CompletableFuture<JsonNode> f = waiting.remove(j.path("id").asInt());
                        if (f != null) {
                            f.complete(j);
                        }
                    } else if ("Page.loadEventFired".equals(j.path("method").asText())) {
                        loaded.complete(null);
                    }
                }
            }
        } catch (IOException e) {
            // the browser went away; waiting calls time out
        }
        IOException gone = new IOException("Chromium exited (" + (process.isAlive() ? "?" : process.exitValue()) + ")");
        waiting.values().forEach(f -> f.completeExceptionally(gone));
    }

    @Override
    public void close() throws Exception {
        try {
            call("Browser.close", params());
        } catch (Exception e) {
            // already gone
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
