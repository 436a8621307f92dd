package io.lvsd.controller.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lvsd.controller.Main;
import io.lvsd.controller.admin.StatusView;
import io.lvsd.controller.config.ConfigLoader;
import io.lvsd.controller.config.ConfigProblem;
import io.lvsd.controller.config.LoadResult;
import io.lvsd.linux.net.IpAddresses;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lvsd status}: the running daemon's summary, from its admin endpoint, as terminal tables. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show what a running lvsd is doing: VRRP instances, virtual services with their real servers' "
                + "weights, health and connections, connection sync, and the latest events.",
                "It asks the daemon's admin endpoint (admin.listen of the configuration file) for /status; the "
                        + "admin page (GET /) shows the same."},
        footer = {"", "Examples:",
                "  lvsd status",
                "  lvsd status -f /etc/lvsd/lvsd.conf",
                "  lvsd status --url http://127.0.0.1:9180 --json",
                "", "Exit codes: 0 the daemon answered; 1 it did not (or the file is invalid); 2 bad usage."})
public final class StatusCommand implements Callable<Integer> {
    static final Path DEFAULT_FILE = Path.of("/etc/lvsd/lvsd.conf");
    static final String DEFAULT_URL = "http://127.0.0.1:9180";

    @Option(names = {"-f", "--config"}, paramLabel = "FILE",
            description = "The daemon's configuration file, for its admin.listen (default: /etc/lvsd/lvsd.conf when "
                    + "it exists, else " + DEFAULT_URL + ").")
    Path file;

    @Option(names = "--url", paramLabel = "URL", description = "The admin endpoint, instead of the file's.")
    String url;

    @Option(names = "--json", description = "Print the /status document as it came.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "How long to wait for the daemon (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (url != null && file != null) {
            err.println("lvsd status: give -f or --url, not both");
            return Main.EXIT_USAGE;
        }
        String base;
        if (url != null) {
            base = url.replaceAll("/+$", "");
        } else {
            DaemonFile d = daemonFile(file, err, "lvsd status", "admin.listen", "--url");
            if (d.invalid()) {
                return Main.EXIT_FAILURE;
            }
            base = d.config() == null ? DEFAULT_URL
                    : "http://" + IpAddresses.format(reachable(d.config().admin().listen()));
        }
        URI uri;
        try {
            uri = URI.create(base + "/status");
            if (uri.getHost() == null || !"http".equals(uri.getScheme())) {
                throw new IllegalArgumentException("expected http://HOST:PORT");
            }
        } catch (IllegalArgumentException e) {
            err.println("lvsd status: --url " + url + ": " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        String body;
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeoutSeconds)).build()
                    .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(timeoutSeconds)).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                err.println("lvsd status: " + uri + " answered HTTP " + r.statusCode() + ": " + r.body().strip());
                return Main.EXIT_FAILURE;
            }
            body = r.body();
        } catch (IOException e) {
            err.println("lvsd status: no lvsd answered at " + uri + " (" + describe(e) + "); is it running? "
                    + "(systemctl status lvsd)");
            return Main.EXIT_FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.EXIT_FAILURE;
        }
        if (json) {
            out.print(body.endsWith("\n") ? body : body + "\n");
            out.flush();
            return 0;
        }
        JsonNode tree;
        try {
            tree = new ObjectMapper().readTree(body);
        } catch (JsonProcessingException e) {
            err.println("lvsd status: " + uri + " did not answer with a status document: " + e.getOriginalMessage());
            return Main.EXIT_FAILURE;
        }
        out.print(StatusView.text(StatusView.of(tree)));
        out.flush();
        return 0;
    }

    /** The running daemon's configuration as a client command finds it: none (no file), valid, or invalid. */
    record DaemonFile(io.lvsd.controller.config.LvsdConfig config, boolean invalid) {
    }

    /**
     * The daemon's configuration for a command that talks to it: {@code given}, else {@link #DEFAULT_FILE} when it
     * exists, else none. An invalid file prints its errors and why {@code key} is then unknown ({@code command:
     * FILE is not valid, so its KEY is unknown; give OPTION}).
     */
    static DaemonFile daemonFile(Path given, PrintWriter err, String command, String key, String option) {
        Path f = given != null ? given : Files.exists(DEFAULT_FILE) ? DEFAULT_FILE : null;
        if (f == null) {
            return new DaemonFile(null, false);
        }
        LoadResult r = ConfigLoader.load(f);
        if (!r.ok()) {
            for (ConfigProblem e : r.errors()) {
                err.println(e.format());
            }
            err.println(command + ": " + f + " is not valid, so its " + key + " is unknown; give " + option);
            return new DaemonFile(null, true);
        }
        return new DaemonFile(r.config(), false);
    }

    /** A wildcard listen address is reached on loopback of its family. */
    static InetSocketAddress reachable(InetSocketAddress listen) {
        InetAddress a = listen.getAddress();
        if (a != null && a.isAnyLocalAddress()) {
            a = IpAddresses.parse(a instanceof java.net.Inet6Address ? "::1" : "127.0.0.1");
        }
        return new InetSocketAddress(a, listen.getPort());
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
