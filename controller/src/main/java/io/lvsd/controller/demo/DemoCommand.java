package io.lvsd.controller.demo;

import io.lvsd.controller.Main;
import io.lvsd.ipvs.NetlinkIpvsClient;
import io.lvsd.linux.NetNamespace;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lvsd demo}: a director pair, two real servers and a client in network namespaces of
 * its own, on a private bridge that has no link to the host's network. It never touches the
 * host's interfaces, addresses or routes, and removes everything it made when stopped.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run lvsd in a throw-away lab of network namespaces (needs root).",
                "Two directors (d1 priority 150, d2 priority 100), two real servers and a client share a",
                "private bridge; nothing is attached to the host's own network. Ctrl-C removes it all."},
        footer = {"", "Examples (as root):", "  ./lvsd demo", "  lvsd demo --seconds 30"})
public final class DemoCommand implements Callable<Integer> {
    /** Every namespace the demo creates starts with this; leftovers are removed at start. */
    public static final String PREFIX = "lvsd-demo-";
    static final String LAN = PREFIX + "lan";
    static final String[][] HOSTS = {
        {"d1", "10.99.0.11"}, {"d2", "10.99.0.12"}, {"r1", "10.99.0.21"}, {"r2", "10.99.0.22"}, {"c1", "10.99.0.50"}};

    @Option(names = "--seconds", paramLabel = "N", description = "Stop by itself after N seconds (default: run until Ctrl-C).")
    long seconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final List<Process> directors = new ArrayList<>();
    private Path workDir;
    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!"0".equals(exec(false, "id", "-u").trim())) {
            err.println("lvsd demo: must run as root, as it creates network namespaces (try: sudo ./lvsd demo)");
            return Main.EXIT_FAILURE;
        }
        String home = System.getProperty("lvsd.home");
        if (home == null || !Files.isExecutable(Path.of(home, "bin", "lvsd"))) {
            err.println("lvsd demo: run it through the launcher (./lvsd demo or bin/lvsd demo), which sets lvsd.home");
            return Main.EXIT_FAILURE;
        }
        if (!installTools(err)) {
            return Main.EXIT_FAILURE;
        }
        if (!hostHasIpvs()) {
            return inLabVm(home, err);
        }
        CountDownLatch done = new CountDownLatch(1);
        Thread cleanup = new Thread(() -> {
            teardown();
            done.countDown();
        }, "lvsd-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            removeLeftovers();
            buildLab();
            workDir = Files.createTempDirectory("lvsd-demo");
            Path conf = workDir.resolve("demo.conf");
            try (InputStream in = DemoCommand.class.getResourceAsStream("demo.conf")) {
                Files.copy(in, conf);
            }
            startServers(); // before the directors: their health checks find the real servers up
            // d1 first, and d2 only once d1 holds the VIP: the story (d1 is master, then hands over to d2) must not
            // depend on which JVM happens to start faster. Started together, a d2 that wins the start race becomes
            // master, and d1 preempts it later, moving the client's session in the middle of the demo.
            startDirector(home, conf, "d1", 150);
            String status = directorUp(err, 0);
            if (status == null) {
                return Main.EXIT_FAILURE;
            }
            out.println();
            out.println("=== /status of director d1 (from inside " + PREFIX + "d1) ===");
            out.println(status);
            out.println("waiting for d1 to win VRRP and take the VIP 10.99.0.100 ...");
            out.flush();
            if (!waitForVip("d1", inVm() ? 120 : 30)) {
                err.println("lvsd demo: d1 did not take the VIP 10.99.0.100 (see the [d1] log above)");
                return Main.EXIT_FAILURE;
            }
            startDirector(home, conf, "d2", 100);
            if (directorUp(err, 1) == null) {
                return Main.EXIT_FAILURE;
            }
            startClients();
            out.println("=== lvsd demo is running ===");
            out.println("Namespaces: " + PREFIX + "{lan,d1,d2,r1,r2,c1} on the private bridge 10.99.0.0/24.");
            out.println("Look inside:");
            out.println("  ip netns exec " + PREFIX + "d1 curl -s http://127.0.0.1:9180/status");
            out.println("  ip netns exec " + PREFIX + "d1 curl -s http://127.0.0.1:9180/metrics");
            out.println("  ip netns exec " + PREFIX + "d2 curl -s http://127.0.0.1:9180/status");
            out.println("  ip netns exec " + PREFIX + "d1 ipvsadm -Ln --stats      # or: lvsd ipvs list --stats");
            out.println("Election: d1 (priority 150) won VRRP and holds the VIP 10.99.0.100; d2 (100) is its backup.");
            out.println("Traffic: the client c1 sends a request through the VIP 10.99.0.100 every second ([c1] lines);");
            out.println("  the master forwards it by LVS-DR to r1 or r2, which answer the client directly.");
            out.println("Session: c1 also holds one TCP connection to 10.99.0.100:7 and sends a line on it every second");
            out.println("  ([c1] session lines); d1's kernel sync daemon sends that connection to d2's backup daemon.");
            out.println("Failover: after " + failoverAfter() + " s the demo stops d1 (SIGTERM): it sends priority 0,");
            out.println("  d2 takes the VIP after Skew_Time and announces it (gratuitous ARP); traffic goes on through d2,");
            out.println("  and the session goes on, on the same connection to the same real server (connection sync).");
            out.println("Logs: the lines prefixed [d1] and [d2] below.");
            out.println(seconds > 0 ? "Stopping by itself in " + seconds + " s." : "Press Ctrl-C to stop and remove everything.");
            out.flush();
            Thread.sleep(TimeUnit.SECONDS.toMillis(Math.min(failoverAfter(), seconds > 0 ? seconds : Long.MAX_VALUE)));
            if (seconds <= 0 || seconds > failoverAfter()) {
                failover();
            }
            if (seconds > 0) {
                Thread.sleep(TimeUnit.SECONDS.toMillis(Math.max(0, seconds - failoverAfter())));
            } else {
                for (Process p : directors) {
                    p.waitFor();
                }
            }
            return 0;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
                teardown();
            } catch (IllegalStateException shuttingDown) {
                done.await(30, TimeUnit.SECONDS); // the hook is already running the teardown
            }
        }
    }

    /** Seconds of traffic through d1 before the demo fails it over to d2. */
    private long failoverAfter() {
        return seconds > 0 ? Math.max(5, seconds / 3) : 20;
    }

    private boolean waitForVip(String director, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (exec(false, "ip", "-n", PREFIX + director, "-o", "addr", "show", "dev", "eth0").contains(" 10.99.0.100/")) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** Stops d1 gracefully and reports when d2 holds the VIP. */
    private void failover() throws Exception {
        synchronized (this) {
            out.println("=== failover: stopping director d1 (SIGTERM) ===");
            out.flush();
        }
        long t0 = System.nanoTime();
        directors.get(0).destroy(); // ip netns exec and the launcher exec: this is d1's JVM
        boolean took = waitForVip("d2", inVm() ? 60 : 15);
        synchronized (this) {
            out.println(took ? "=== d2 holds the VIP " + (System.nanoTime() - t0) / 1_000_000 + " ms after the stop ==="
                    : "=== d2 did not take the VIP (see the [d2] log) ===");
            out.flush();
        }
    }

    private final java.util.List<java.net.ServerSocket> servers = new ArrayList<>();
    private volatile boolean stopping;

    /**
     * The real servers r1 and r2 hold the VIP on lo (LVS-DR) and answer HTTP with their name and echo lines on
     * port 7, served from this process inside their namespaces. The directors' VRRP puts the VIP on the master.
     */
    private void startServers() throws Exception {
        for (String r : java.util.List.of("r1", "r2")) {
            String ns = PREFIX + r;
            exec(true, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1",
                    "net.ipv4.conf.all.arp_announce=2", "net.ipv4.conf.eth0.arp_ignore=1", "net.ipv4.conf.eth0.arp_announce=2");
            ip("-n", ns, "addr", "add", "10.99.0.100/32", "dev", "lo");
            java.net.ServerSocket ss = listen(ns, 80);
            java.net.ServerSocket echo = listen(ns, 7);
            daemon("lvsd-demo-" + r + "-echo", () -> {
                while (!stopping) {
                    try {
                        Socket c = echo.accept();
                        daemon("lvsd-demo-" + r + "-session", () -> echoLines(r, c));
                    } catch (IOException e) {
                        if (stopping) {
                            return;
                        }
                    }
                }
            });
            daemon("lvsd-demo-" + r, () -> {
                while (!stopping) {
                    try (Socket c = ss.accept()) {
                        c.setSoTimeout(2000);
                        new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                        byte[] body = ("hello from " + r + "\n").getBytes(StandardCharsets.US_ASCII);
                        c.getOutputStream().write(("HTTP/1.0 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        c.getOutputStream().write(body);
                    } catch (IOException e) {
                        if (stopping) {
                            return;
                        }
                    }
                }
            });
        }
    }

    /** The client c1: one request a second, and one long-lived session connection. */
    private void startClients() {
        daemon("lvsd-demo-session", this::session);
        daemon("lvsd-demo-client", () -> {
            int n = 0;
            while (!stopping) {
                n++;
                String line;
                try {
                    String resp = NetNamespace.call(PREFIX + "c1", () -> httpGet("10.99.0.100", 80, "/"));
                    line = resp == null ? "no answer" : "answered: " + resp.trim();
                } catch (Exception e) {
                    line = "failed: " + e.getMessage();
                }
                synchronized (this) {
                    out.println("[c1] request " + n + " to http://10.99.0.100/ -> " + line);
                    out.flush();
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** A listening socket on {@code port} inside the namespace {@code ns}, closed at teardown. */
    private java.net.ServerSocket listen(String ns, int port) throws Exception {
        java.net.ServerSocket ss = NetNamespace.call(ns, () -> {
            java.net.ServerSocket x = new java.net.ServerSocket();
            x.setReuseAddress(true);
            x.bind(new InetSocketAddress("0.0.0.0", port));
            return x;
        });
        servers.add(ss);
        return ss;
    }

    /** A real server's side of a long-lived connection: answers every line with its name. */
    private void echoLines(String server, Socket c) {
        try (c) {
            BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream o = c.getOutputStream();
            for (String line; !stopping && (line = in.readLine()) != null; ) {
                o.write((server + " " + line + "\n").getBytes(StandardCharsets.US_ASCII));
                o.flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    /**
     * One TCP connection from c1 through the VIP's port 7 that lives as long as the demo, one line
     * a second. It goes on across the failover only because d2's kernel learned it from d1's sync
     * daemon: a new master without that entry would schedule the next packet afresh (or reset it).
     */
    private void session() {
        Socket s;
        BufferedReader in;
        try {
            s = NetNamespace.call(PREFIX + "c1", () -> {
                Socket x = new Socket();
                x.connect(new InetSocketAddress("10.99.0.100", 7), 2000);
                x.setSoTimeout(5000);
                return x;
            });
            in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        } catch (Exception e) {
            synchronized (this) {
                out.println("[c1] session: could not connect to 10.99.0.100:7: " + e.getMessage());
                out.flush();
            }
            return;
        }
        String first = null;
        try (s) {
            for (int n = 1; !stopping; n++) {
                String line;
                try {
                    s.getOutputStream().write(("line " + n + "\n").getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    String answer = in.readLine();
                    if (answer == null) {
                        line = "broken: the connection was closed";
                    } else {
                        String server = answer.split(" ", 2)[0];
                        first = first == null ? server : first;
                        line = "answered by " + server + (server.equals(first) ? "" : " (NOT " + first + ")");
                    }
                } catch (IOException e) {
                    line = "broken: " + e.getMessage();
                }
                synchronized (this) {
                    out.println("[c1] session 10.99.0.50:" + s.getLocalPort() + " -> 10.99.0.100:7, line " + n + " "
                            + line);
                    out.flush();
                }
                if (line.startsWith("broken")) {
                    return;
                }
                Thread.sleep(1000);
            }
        } catch (IOException | InterruptedException e) {
            // stopping
        }
    }

    private static boolean inVm() {
        return "1".equals(System.getenv("LVSD_IN_VM"));
    }

    private static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** No IPVS in this kernel: run the same demo inside the project's lab VM, if this is a checkout. */
    private int inLabVm(String home, PrintWriter err) throws Exception {
        Path top = Path.of(home).toAbsolutePath().normalize();
        for (int i = 0; i < 4 && top != null; i++) {
            top = top.getParent();
        }
        if (top == null || !Files.isExecutable(top.resolve("lab/vm.sh"))) {
            err.println("lvsd demo: this kernel has no IPVS (its generic-netlink family IPVS does not resolve) and there is no lab VM next to this "
                    + "installation (lab/vm.sh of a source checkout)");
            return Main.EXIT_FAILURE;
        }
        long bounded = seconds > 0 ? seconds : 120;
        Path work = Files.createTempDirectory("lvsd-demo-vm");
        Path script = work.resolve("demo.sh");
        Files.writeString(script, "export LVSD_IN_VM=1\n" + home + "/bin/lvsd demo --seconds " + bounded + "\n");
        out.println("This kernel has no IPVS: running the demo inside the lab VM (Debian's kernel under qemu, "
                + "lab/vm.sh) for " + bounded + " s. Ctrl-C stops the VM; nothing is left on this machine.");
        out.flush();
        ProcessBuilder pb = new ProcessBuilder(top.resolve("lab/vm.sh").toString(), script.toString(), work.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("vm.log").toFile());
        pb.environment().put("LVSD_LAB_SHARE", top.startsWith("/tmp") ? top.toString() : "");
        Process vm = pb.start();
        Thread kill = new Thread(() -> {
            vm.descendants().forEach(ProcessHandle::destroyForcibly);
            vm.destroyForcibly();
        });
        Runtime.getRuntime().addShutdownHook(kill);
        Path log = work.resolve("guest.log");
        long shown = 0;
        while (true) {
            boolean alive = vm.isAlive();
            if (Files.exists(log)) {
                byte[] all = Files.readAllBytes(log);
                if (all.length > shown) {
                    out.print(new String(all, (int) shown, (int) (all.length - shown), StandardCharsets.UTF_8));
                    out.flush();
                    shown = all.length;
                }
            }
            if (!alive) {
                break;
            }
            Thread.sleep(250);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(kill);
        } catch (IllegalStateException shuttingDown) {
            // already stopping
        }
        if (vm.exitValue() != 0) {
            err.println("lvsd demo: the lab VM exited with " + vm.exitValue() + ": " + Files.readString(work.resolve("vm.log")).trim());
        }
        try (var files = Files.walk(work)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        return vm.exitValue() == 0 ? 0 : Main.EXIT_FAILURE;
    }

    private void buildLab() throws IOException {
        out.println("creating the demo lab (network namespaces " + PREFIX + "*) ...");
        ip("netns", "add", LAN);
        ip("-n", LAN, "link", "add", "br0", "type", "bridge");
        ip("-n", LAN, "link", "set", "br0", "up");
        for (String[] h : HOSTS) {
            String ns = PREFIX + h[0];
            ip("netns", "add", ns);
            // The veth pair is created directly inside the two namespaces: it never exists in the host's.
            ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", h[0], "netns", LAN);
            ip("-n", LAN, "link", "set", h[0], "master", "br0");
            ip("-n", LAN, "link", "set", h[0], "up");
            ip("-n", ns, "link", "set", "lo", "up");
            ip("-n", ns, "link", "set", "eth0", "up");
            ip("-n", ns, "addr", "add", h[1] + "/24", "dev", "eth0");
        }
    }

    private void startDirector(String home, Path conf, String name, int priority) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", PREFIX + name, home + "/bin/lvsd", "run", "-f",
                conf.toString()).redirectErrorStream(true);
        pb.environment().put("LVSD_DEMO_NAME", name);
        pb.environment().put("STATE_DIRECTORY", workDir.resolve(name + "-state").toString()); // not the host's
        pb.environment().put("LVSD_DEMO_PRIORITY", Integer.toString(priority));
        pb.environment().remove("NOTIFY_SOCKET");
        if (inVm()) {
            // Everything is emulated in the lab VM: C1 alone starts the short-lived demo directors sooner.
            pb.environment().put("LVSD_JAVA_OPTS", "-XX:TieredStopAtLevel=1");
        }
        Process p = pb.start();
        directors.add(p);
        Thread t = new Thread(() -> pump(p.getInputStream(), "[" + name + "] "), "lvsd-demo-" + name);
        t.setDaemon(true);
        t.start();
    }

    private void pump(InputStream in, String prefix) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (this) {
                    out.println(prefix + line);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // the director exited
        }
    }

    /** What the demo's lab runs, by command and the Debian package that has it. */
    private static final String[][] TOOLS = {{"ip", "iproute2"}, {"sysctl", "procps"}};

    /**
     * Installs what the lab needs and a fresh Debian machine may lack (the lab VM runs this machine's root
     * filesystem, so it needs them too). False, with the reason printed, when that fails.
     */
    private boolean installTools(PrintWriter err) {
        List<String> missing = new ArrayList<>();
        for (String[] t : TOOLS) {
            if (!onPath(t[0])) {
                missing.add(t[1]);
            }
        }
        if (missing.isEmpty()) {
            return true;
        }
        out.println("installing what the demo's lab needs: " + String.join(" ", missing) + " (apt-get) ...");
        out.flush();
        try {
            exec(true, 600, "apt-get", "update", "-qq");
            List<String> cmd = new ArrayList<>(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install",
                    "-y", "-qq"));
            cmd.addAll(missing);
            exec(true, 600, cmd.toArray(String[]::new));
            return true;
        } catch (IOException e) {
            err.println("lvsd demo: needs " + String.join(" and ", missing) + ", and installing them failed: "
                    + e.getMessage().lines().reduce((x, y) -> y).orElse("") + " (try: apt-get install "
                    + String.join(" ", missing) + ")");
            return false;
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /** Waits for director {@code i} (d1 = 0) to serve /status; null, with the reason printed, if it does not. */
    private String directorUp(PrintWriter err, int i) throws InterruptedException {
        String d = "d" + (i + 1);
        int wait = inVm() ? 300 : 60;
        String status = waitForStatus(PREFIX + d, directors.get(i), wait);
        if (status == null) {
            err.println("lvsd demo: the director in " + PREFIX + d + " did not serve /status"
                    + (directors.get(i).isAlive() ? " within " + wait + " s" : ": it exited (see its log above)"));
        }
        return status;
    }

    /**
     * Whether this kernel has IPVS, asked of the kernel itself: the IPVS generic-netlink family resolves. Since
     * Linux 5.16 that request also loads the ip_vs module when it is available (the module declares its family
     * as an alias), so no module tool is needed.
     */
    static boolean hostHasIpvs() {
        try (NetlinkIpvsClient c = NetlinkIpvsClient.open()) {
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** GETs /status from inside {@code ns}; null if it never answers. */
    static String waitForStatus(String ns, Process director, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline && director.isAlive()) {
            try {
                String body = NetNamespace.call(ns, () -> httpGet("127.0.0.1", 9180, "/status"));
                if (body != null) {
                    return body;
                }
            } catch (Exception e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        return null;
    }

    private static String httpGet(String host, int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            s.setSoTimeout(5000);
            OutputStream o = s.getOutputStream();
            o.write(("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            o.flush();
            String resp = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int body = resp.indexOf("\r\n\r\n");
            return (resp.startsWith("HTTP/1.1 200") || resp.startsWith("HTTP/1.0 200")) && body > 0 ? resp.substring(body + 4) : null;
        }
    }

    private synchronized void teardown() {
        stopping = true;
        for (java.net.ServerSocket ss : servers) {
            try {
                ss.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        servers.clear();
        for (Process p : directors) {
            p.destroy();
        }
        for (Process p : directors) {
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        directors.clear();
        try {
            removeLeftovers();
        } catch (IOException e) {
            System.err.println("lvsd demo: cleanup: " + e.getMessage());
        }
        if (workDir != null) {
            try (var files = Files.list(workDir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(workDir);
            } catch (IOException e) {
                System.err.println("lvsd demo: cleanup: " + e.getMessage());
            }
            workDir = null;
        }
    }

    /** Deletes every namespace named {@code lvsd-demo-*} (deleting a namespace deletes its links). */
    static void removeLeftovers() throws IOException {
        for (String line : exec(false, "ip", "netns", "list").split("\n")) {
            String ns = line.trim().split("\\s+")[0];
            if (ns.startsWith(PREFIX)) {
                exec(false, "ip", "netns", "delete", ns);
            }
        }
    }

    private static void ip(String... args) throws IOException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ip";
        System.arraycopy(args, 0, cmd, 1, args.length);
        exec(true, cmd);
    }

    static String exec(boolean check, String... cmd) throws IOException {
        return exec(check, 30, cmd);
    }

    static String exec(boolean check, long seconds, String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", cmd) + ": interrupted");
        }
        if (check && p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + output.trim());
        }
        return output;
    }
}
