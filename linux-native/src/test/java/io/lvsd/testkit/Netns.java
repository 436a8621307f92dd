package io.lvsd.testkit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Network namespaces a test builds (and removes): hosts on a private bridge, addresses of the
 * test's choosing, never connected to the machine's own network.
 */
public final class Netns implements AutoCloseable {
    private final String prefix;
    private final List<String> created = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    /** Namespaces named {@code prefix-NAME}; leftovers of an earlier run with that prefix are removed. */
    public Netns(String prefix) throws IOException, InterruptedException {
        // What a namespace lab runs: ip (iproute2), and sysctl and kill (procps). A fresh machine may have neither.
        Lab.requireCommand("ip", "iproute2");
        Lab.requireCommand("sysctl", "procps");
        this.prefix = prefix;
        for (String line : Sh.ok("ip", "netns", "list").split("\n")) {
            String ns = line.trim().split("\\s+")[0];
            if (ns.startsWith(prefix + "-")) {
                Sh.run(null, "ip", "netns", "delete", ns);
            }
        }
    }

    public String name(String host) {
        return prefix + "-" + host;
    }

    /** Creates a namespace with lo up. */
    public String add(String host) throws IOException, InterruptedException {
        String ns = name(host);
        Sh.ok("ip", "netns", "add", ns);
        created.add(ns);
        Sh.ok("ip", "-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    /** A bridge {@code br0} inside namespace {@code host} (created if needed). */
    public String bridge(String host) throws IOException, InterruptedException {
        String ns = created.contains(name(host)) ? name(host) : add(host);
        Sh.ok("ip", "-n", ns, "link", "add", "br0", "type", "bridge");
        Sh.ok("ip", "-n", ns, "link", "set", "br0", "up");
        return ns;
    }

    /**
     * Connects {@code host} to the bridge in {@code bridgeHost} with interface {@code ifname} and
     * address {@code cidr}; the veth pair is created inside the namespaces, never in the host's.
     */
    public void link(String host, String ifname, String bridgeHost, String cidr) throws IOException, InterruptedException {
        String ns = created.contains(name(host)) ? name(host) : add(host);
        String peer = (host + "-" + ifname);
        peer = peer.length() > 15 ? peer.substring(0, 15) : peer;
        Sh.ok("ip", "-n", ns, "link", "add", ifname, "type", "veth", "peer", "name", peer, "netns", name(bridgeHost));
        Sh.ok("ip", "-n", name(bridgeHost), "link", "set", peer, "master", "br0");
        Sh.ok("ip", "-n", name(bridgeHost), "link", "set", peer, "up");
        Sh.ok("ip", "-n", ns, "link", "set", ifname, "up");
        if (cidr != null) {
            Sh.ok("ip", "-n", ns, "addr", "add", cidr, "dev", ifname);
        }
    }

    /** Runs a command inside {@code host} and returns its output, failing on a non-zero exit. */
    public String exec(String host, String... cmd) throws IOException, InterruptedException {
        String[] full = new String[cmd.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = name(host);
        System.arraycopy(cmd, 0, full, 4, cmd.length);
        return Sh.ok(full);
    }

    /** Starts a long-running command inside {@code host}; it is killed on close. */
    public Process spawn(String host, String... cmd) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name(host)));
        full.addAll(List.of(cmd));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(p);
        return p;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            p.waitFor();
        }
        for (int i = created.size() - 1; i >= 0; i--) {
            Sh.run(null, "ip", "netns", "delete", created.get(i));
        }
    }
}
