package io.lvsd.healthcheck;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.UnixDatagramSocket;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.proc.Processes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where probes through the VIP ({@code check.through-vip}) leave from: a network namespace of lvsd's own, on each
 * configured network by a macvlan with a spare address of that network, with a routing table per real server that
 * sends the VIP to it the way IPVS does: for DR via the real server's address (so the frame goes to its MAC with the
 * VIP as destination), for TUN into a tunnel of the real server's type. A probe's socket carries the table's mark;
 * the real server answers from the VIP to the spare address. The director's own stack, which holds the VIP, is never
 * involved.
 *
 * <p>The namespace belongs to a helper process ({@link ProbeNamespaceHelper}) started in a new user and network
 * namespace, which needs no capability (where unprivileged user namespaces are allowed, Debian's default) and so
 * keeps lvsd's least privilege: lvsd makes the macvlans (CAP_NET_ADMIN) straight into it, and the helper, root in
 * its own user namespace, configures it and hands lvsd sockets made there. Everything runs lazily on one thread of
 * its own, started by the first probe; a helper that dies is started again by the next.
 */
public final class ProbeNamespace implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProbeNamespace.class);
    /** The first routing table / mark; one more per real server. */
    static final int FIRST_MARK = 1000;
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * One network the namespace is on.
     *
     * @param address a spare address of that network and its prefix length, which probes leave from
     * @param parent  the director's interface on it, which the namespace's macvlan sits on
     * @param gateway where the namespace sends what is beyond the prefix (TUN real servers elsewhere), or null
     */
    public record Link(IpPrefix address, String parent, InetAddress gateway) {
        public Link {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(parent, "parent");
            if (gateway != null && (gateway instanceof Inet6Address) != (address.address() instanceof Inet6Address)) {
                throw new IllegalArgumentException("gateway: " + IpAddresses.text(gateway) + " (expected an address of"
                        + " the family of " + address + ")");
            }
        }
    }

    private final ExecutorService thread;
    private final Path runDirectory;
    private final LongSupplier nanos;
    private volatile List<Link> links;
    // The rest only on the thread.
    private Helper helper;
    private List<Link> helperLinks;
    private final Map<ThroughVip, Integer> marks = new HashMap<>();
    private int nextMark = FIRST_MARK;
    private String failure;
    private long failedAt;

    /** @param runDirectory where the sockets between lvsd and the helper are made (a private directory in it) */
    public ProbeNamespace(List<Link> links, Path runDirectory) {
        this(links, runDirectory, System::nanoTime);
    }

    ProbeNamespace(List<Link> links, Path runDirectory, LongSupplier nanos) {
        this.links = List.copyOf(links);
        this.runDirectory = runDirectory;
        this.nanos = nanos;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lvsd-check-vip");
            t.setDaemon(true);
            return t;
        });
    }

    /** The networks from now on; a change rebuilds the namespace at the next probe. */
    public void links(List<Link> next) {
        links = List.copyOf(next);
    }

    /**
     * Starts the namespace now, in the background, rather than at the first probe (whose timeout would otherwise
     * include the helper's start); a failure is logged and tried again by the probes.
     */
    public void prepare() {
        try {
            thread.execute(() -> {
                try {
                    helper();
                } catch (IOException | RuntimeException e) {
                    // logged by helper(); each probe reports it too
                }
            });
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /** Stops the helper (no check goes through the VIP any more); the next probe through the VIP starts it again. */
    public void release() {
        try {
            thread.execute(this::stopHelper);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /**
     * A non-blocking socket (stream or datagram) in the namespace whose packets reach {@code via}'s real server
     * through the VIP; the descriptor is the caller's to close.
     */
    public CompletableFuture<Integer> socket(ThroughVip via, boolean datagram) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    f.complete(open(via, datagram));
                } catch (IOException | RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new IOException("the probe namespace is closed"));
        }
        return f;
    }

    private int open(ThroughVip via, boolean datagram) throws IOException {
        Helper h = helper();
        Integer mark = marks.get(via);
        if (mark == null) {
            mark = nextMark++; // a failed attempt's leftovers keep their number; the next attempt takes another
            h.request("IP", "", String.join("\n", routeCommands(via, mark, helperLinks)), 30_000);
            marks.put(via, mark);
        }
        return h.socket(via.ipv6(), datagram, mark);
    }

    /** The running helper, started (again) when there is none, it died or the networks changed. */
    private Helper helper() throws IOException {
        List<Link> want = links;
        if (helper != null && (!helper.process.isAlive() || !want.equals(helperLinks))) {
            if (!helper.process.isAlive()) {
                log.warn("through-vip: the probe namespace's helper exited ({}); starting it again", helper.exit());
            }
            stopHelper();
        }
        if (helper != null) {
            return helper;
        }
        if (want.isEmpty()) {
            throw new IOException("no through-vip.addresses configured: the probe namespace has no network to"
                    + " send from");
        }
        if (failure != null && nanos.getAsLong() - failedAt < RETRY_NANOS) {
            throw new IOException(failure);
        }
        try {
            helper = Helper.start(runDirectory);
            helperLinks = want;
            for (int i = 0; i < want.size(); i++) {
                Processes.run(Processes.require("ip", "iproute2"), "link", "add", "link", want.get(i).parent(), "name", linkName(i), "netns",
                        Long.toString(helper.process.pid()), "type", "macvlan", "mode", "bridge");
            }
            helper.request("IP", "", String.join("\n", setupCommands(want)), 30_000);
            failure = null;
            log.info("through-vip: probe namespace up (helper pid {}) on {}", helper.process.pid(), want);
            return helper;
        } catch (IOException e) {
            stopHelper();
            failure = "the probe namespace: " + e.getMessage();
            failedAt = nanos.getAsLong();
            log.warn("through-vip: {}", failure);
            throw new IOException(failure);
        }
    }

    private void stopHelper() {
        if (helper != null) {
            helper.close();
            helper = null;
        }
        helperLinks = null;
        marks.clear();
        nextMark = FIRST_MARK;
    }

    static String linkName(int index) {
        return "probe" + index;
    }

    /** The {@code ip} commands that put the namespace on its networks. */
    static List<String> setupCommands(List<Link> links) {
        List<String> out = new ArrayList<>();
        out.add("link set lo up");
        for (int i = 0; i < links.size(); i++) {
            Link l = links.get(i);
            boolean v6 = l.address().address() instanceof Inet6Address;
            out.add("link set " + linkName(i) + " up");
            // No duplicate address detection: the address would stay tentative (unusable) for a second or more.
            out.add("addr add " + l.address() + " dev " + linkName(i) + (v6 ? " nodad" : ""));
            if (l.gateway() != null) {
                out.add("route add default via " + IpAddresses.text(l.gateway()) + " dev " + linkName(i));
            }
        }
        return out;
    }

    /**
     * The {@code ip} commands that give {@code via} its routing table {@code mark} (selected by the same firewall mark):
     * DR: the VIP via the real server on the network that holds it; TUN: the VIP into a tunnel to the real server.
     */
    static List<String> routeCommands(ThroughVip via, int mark, List<Link> links) throws IOException {
        boolean v6 = via.ipv6();
        String vip = IpAddresses.text(via.vip()) + (v6 ? "/128" : "/32");
        String real = IpAddresses.text(via.realServer());
        int onLink = -1;
        int routed = -1;
        for (int i = 0; i < links.size(); i++) {
            Link l = links.get(i);
            if ((l.address().address() instanceof Inet6Address) != v6) {
                continue;
            }
            if (onLink < 0 && l.address().contains(via.realServer())) {
                onLink = i;
            }
            if (routed < 0 && l.gateway() != null) {
                routed = i;
            }
        }
        List<String> out = new ArrayList<>();
        if (via.encapsulation() == ThroughVip.Encapsulation.DR) {
            if (onLink < 0) {
                throw new IOException("no through-vip.addresses entry on the network of " + real + " (DR reaches a"
                        + " real server on its own network)");
            }
            out.add("route add " + vip + " via " + real + " dev " + linkName(onLink) + " table " + mark);
        } else {
            int k = onLink >= 0 ? onLink : routed;
            if (k < 0) {
                throw new IOException("no through-vip.addresses entry of " + (v6 ? "IPv6" : "IPv4") + " on the network"
                        + " of " + real + " nor with a gateway");
            }
            String local = IpAddresses.text(links.get(k).address().address());
            String tunnel = "vip" + mark;
            String ends = " local " + local + " remote " + real;
            // IPVS's tunnels carry no encapsulation limit option (IPv6) and no key (GRE).
            String gue = via.encapsulation() == ThroughVip.Encapsulation.GUE
                    ? " encap gue encap-sport auto encap-dport " + via.tunnelPort() : "";
            out.add("link add " + tunnel + switch (via.encapsulation()) {
                case GRE -> v6 ? " type ip6gre" + ends + " encaplimit none" : " type gre" + ends;
                default -> v6 ? " type ip6tnl mode ip6ip6" + ends + " encaplimit none" + gue : " type ipip" + ends + gue;
            });
            out.add("link set " + tunnel + " up");
            out.add("route add " + vip + " dev " + tunnel + " table " + mark);
        }
        out.add((v6 ? "-6 " : "") + "rule add fwmark " + mark + " lookup " + mark + " pref " + mark);
        return out;
    }

    @Override
    public void close() {
        thread.execute(this::stopHelper);
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The helper process and the socket lvsd talks to it on. */
    private static final class Helper implements AutoCloseable {
        final Process process;
        final UnixDatagramSocket socket;
        final Path directory;
        final String peer;
        private long nextId = 1;

        private Helper(Process process, UnixDatagramSocket socket, Path directory, String peer) {
            this.process = process;
            this.socket = socket;
            this.directory = directory;
            this.peer = peer;
        }

        static Helper start(Path runDirectory) throws IOException {
            Files.createDirectories(runDirectory);
            Path dir = Files.createTempDirectory(runDirectory, "probe-ns.",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            String mine = dir.resolve("lvsd").toString();
            String theirs = dir.resolve("helper").toString();
            UnixDatagramSocket s;
            try {
                s = UnixDatagramSocket.bind(mine);
            } catch (NativeException e) {
                deleteAll(dir);
                throw new IOException("its socket " + mine + ": " + e.getMessage());
            }
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p;
            try {
                List<String> cmd = List.of(Processes.require("unshare", "util-linux"), "--user", "--map-root-user", "--net", "--", javaBin,
                        "-Xmx32m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                        "-cp", System.getProperty("java.class.path"), ProbeNamespaceHelper.class.getName(), theirs,
                        mine);
                p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (IOException e) {
                s.close();
                deleteAll(dir);
                throw new IOException("cannot start its helper: " + e.getMessage());
            }
            List<String> said = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread out = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (said.size() < 20) {
                            said.add(line);
                        }
                        log.warn("through-vip helper: {}", line);
                    }
                } catch (IOException e) {
                    // it exited
                }
            }, "lvsd-check-vip-out");
            out.setDaemon(true);
            out.start();
            Helper h = new Helper(p, s, dir, theirs);
            try {
                // A JVM's start: well under a second on a host, tens of seconds in an emulated guest.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < deadline) {
                    UnixDatagramSocket.Message m = s.receiveMessage(500, 256);
                    if (m != null) {
                        if (m.fd() >= 0) {
                            LinuxNative.get().close(m.fd());
                        }
                        if (new String(m.data(), StandardCharsets.UTF_8).startsWith("READY ")) {
                            return h;
                        }
                    }
                    if (!p.isAlive()) {
                        p.waitFor(1, TimeUnit.SECONDS);
                        out.join(1000);
                        throw new IOException("its helper exited (" + p.exitValue() + ")"
                                + (said.isEmpty() ? "" : ": " + String.join(" ", said)) + hint(said));
                    }
                }
                throw new IOException("its helper did not start in 120 s");
            } catch (IOException | RuntimeException e) {
                h.close();
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                h.close();
                throw new IOException("interrupted");
            }
        }

        private static String hint(List<String> said) {
            String all = String.join(" ", said);
            return all.contains("unshare") && all.contains("Operation not permitted")
                    ? " (check.through-vip needs user and network namespaces: unprivileged user namespaces allowed,"
                    + " and in lvsd.service RestrictNamespaces=user net)" : "";
        }

        /** Sends a request and waits for its answer; returns the descriptor it passed, or -1. */
        int request(String verb, String args, String body, long timeoutMillis) throws IOException {
            String id = Long.toString(nextId++);
            String text = verb + " " + id + (args.isEmpty() ? "" : " " + args) + (body.isEmpty() ? "" : "\n" + body);
            try {
                socket.send(peer, text.getBytes(StandardCharsets.UTF_8));
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
                while (true) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        throw new IOException("the probe namespace's helper did not answer in " + timeoutMillis + " ms");
                    }
                    UnixDatagramSocket.Message m = socket.receiveMessage(left, 4096);
                    if (m == null) {
                        continue;
                    }
                    String[] reply = new String(m.data(), StandardCharsets.UTF_8).split(" ", 3);
                    if (reply.length < 2 || !reply[1].equals(id)) {
                        if (m.fd() >= 0) {
                            LinuxNative.get().close(m.fd()); // an answer to a request that timed out
                        }
                        continue;
                    }
                    if (reply[0].equals("OK")) {
                        return m.fd();
                    }
                    if (m.fd() >= 0) {
                        LinuxNative.get().close(m.fd());
                    }
                    throw new IOException(reply.length > 2 ? reply[2] : "failed");
                }
            } catch (NativeException e) {
                throw new IOException("the probe namespace's helper: " + e.getMessage());
            }
        }

        int socket(boolean ipv6, boolean datagram, int mark) throws IOException {
            int fd = request("SOCK", (ipv6 ? "6" : "4") + " " + (datagram ? "dgram" : "stream") + " " + mark, "", 2_000);
            if (fd < 0) {
                throw new IOException("the probe namespace's helper passed no socket");
            }
            return fd;
        }

        String exit() {
            return process.isAlive() ? "running" : "exit " + process.exitValue();
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            socket.close();
            deleteAll(directory);
        }

        private static void deleteAll(Path dir) {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // a private directory under the runtime directory: left for the next start's clean-up
            }
        }
    }
}
