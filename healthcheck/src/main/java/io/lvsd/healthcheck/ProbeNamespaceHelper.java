package io.lvsd.healthcheck;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.UnixDatagramSocket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The process inside lvsd's probe namespace ({@link ProbeNamespace}): started by lvsd through
 * {@code unshare --user --map-root-user --net}, so it is root in a user namespace of its own and owns a network
 * namespace that lvsd, without CAP_SYS_ADMIN, could not enter. It does two things on request, over a Unix datagram
 * socket: it runs {@code ip} commands in its namespace, and it makes sockets there (with the mark that picks a real
 * server's routing table) and passes them to lvsd, which connects them like any other probe's socket. It exits when
 * lvsd does (its standard input closes).
 *
 * <p>Requests and answers are one line of text (an {@code IP} request has a command per further line):
 * {@code IP id}, {@code SOCK id 4|6 stream|dgram mark}; answers {@code OK id} (a socket's descriptor attached) or
 * {@code ERR id reason}. At start it sends {@code READY pid}.
 */
public final class ProbeNamespaceHelper {
    private ProbeNamespaceHelper() {
    }

    /** {@code args}: the path to bind, lvsd's path. */
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ProbeNamespaceHelper OWN-SOCKET LVSD-SOCKET");
            System.exit(2);
        }
        Thread parent = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // lvsd writes nothing; the read ends when lvsd's end of the pipe closes
                }
            } catch (IOException e) {
                // the same: lvsd is gone
            }
            System.exit(0);
        }, "parent");
        parent.setDaemon(true);
        parent.start();
        // Replies from a VIP arrive on the probe interface with no route back to the VIP in the main table; a new
        // network namespace copies rp_filter from the host's (net.core.devconf_inherit_init_net), so it is turned off
        // here, for the interfaces made after this too.
        for (String conf : List.of("all", "default")) {
            Files.writeString(Path.of("/proc/sys/net/ipv4/conf", conf, "rp_filter"), "0");
        }
        String lvsd = args[1];
        try (UnixDatagramSocket s = UnixDatagramSocket.bind(args[0])) {
            s.send(lvsd, ("READY " + ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8));
            while (true) {
                UnixDatagramSocket.Message m = s.receiveMessage(60_000, 65_536);
                if (m == null) {
                    continue;
                }
                if (m.fd() >= 0) {
                    LinuxNative.get().close(m.fd());
                }
                String[] lines = new String(m.data(), StandardCharsets.UTF_8).split("\n");
                String[] head = lines[0].split(" ");
                String id = head.length > 1 ? head[1] : "?";
                try {
                    if (head[0].equals("SOCK") && head.length == 5) {
                        int fd = socket(head[2].equals("6"), head[3].equals("dgram"), Integer.parseInt(head[4]));
                        try {
                            s.send(lvsd, ("OK " + id).getBytes(StandardCharsets.UTF_8), fd);
                        } finally {
                            LinuxNative.get().close(fd);
                        }
                    } else if (head[0].equals("IP")) {
                        for (int i = 1; i < lines.length; i++) {
                            ip(lines[i]);
                        }
                        s.send(lvsd, ("OK " + id).getBytes(StandardCharsets.UTF_8));
                    } else {
                        throw new IOException("unknown request: " + lines[0]);
                    }
                } catch (IOException | RuntimeException e) {
                    String why = String.valueOf(e.getMessage()).replace('\n', ' ');
                    s.send(lvsd, ("ERR " + id + " " + why).getBytes(StandardCharsets.UTF_8));
                }
            }
        }
    }

    /** A non-blocking socket in this namespace whose packets carry {@code mark}. */
    static int socket(boolean ipv6, boolean datagram, int mark) throws NativeException {
        LinuxNative n = LinuxNative.get();
        int fd = n.socket(ipv6 ? LinuxNative.AF_INET6 : LinuxNative.AF_INET, (datagram ? LinuxNative.SOCK_DGRAM
                : LinuxNative.SOCK_STREAM) | LinuxNative.SOCK_NONBLOCK | LinuxNative.SOCK_CLOEXEC, 0, "probe socket");
        try {
            n.setIntOption(fd, LinuxNative.SOL_SOCKET, LinuxNative.SO_MARK, mark, "probe socket, SO_MARK");
            return fd;
        } catch (NativeException | RuntimeException e) {
            n.close(fd);
            throw e;
        }
    }

    private static void ip(String line) throws IOException {
        if (line.isBlank()) {
            return;
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(io.lvsd.linux.proc.Processes.require("ip", "iproute2"));
        cmd.addAll(List.of(line.strip().split(" +")));
        io.lvsd.linux.proc.Processes.run(cmd.toArray(String[]::new));
    }
}
