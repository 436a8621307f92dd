package io.lvsd.keepalived;

import io.lvsd.testkit.Fuzz;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.instancio.generator.Generator;

/** Generated keepalived configurations for property tests, here and in the controller (test-jar). */
public final class KeepalivedInputs {
    private KeepalivedInputs() {
    }

    /** The corpus mutated, word soups, and noise. */
    public static Generator<byte[]> any() throws IOException {
        return Fuzz.oneOf(Fuzz.mutated(seeds()), soup(), Fuzz.bytes(512));
    }

    /** Where the input is, as the main file. */
    public static final Path MAIN = Path.of("/fuzz/keepalived.conf");

    /** The corpus's main files (CorpusTest checks this list against the directory). */
    public static final List<String> CORPUS = List.of("dr-tcp-fwmark.conf", "globals-includes.conf",
            "group-udp-dns.conf", "messy.conf", "nat-http.conf", "strict.conf", "tun-misc.conf", "unconverted.conf",
            "vrrp-full.conf");

    /** The corpus's main files as seeds, read as resources (from a directory or a jar alike). */
    public static List<byte[]> seeds() throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (String name : CORPUS) {
            try (var in = KeepalivedInputs.class.getResourceAsStream("corpus/" + name)) {
                out.add(in.readAllBytes());
            }
        }
        return out;
    }

    static final String[] WORDS = {"global_defs", "vrrp_instance", "VI_1", "virtual_server", "real_server",
        "virtual_server_group", "vrrp_script", "vrrp_sync_group", "group", "track_script", "track_interface",
        "track_file", "virtual_ipaddress", "unicast_peer", "authentication", "auth_type", "PASS", "auth_pass",
        "interface", "eth0", "virtual_router_id", "priority", "advert_int", "state", "MASTER", "BACKUP", "nopreempt",
        "preempt_delay", "TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "DNS_CHECK", "UDP_CHECK", "url", "path",
        "status_code", "digest", "misc_path", "payload", "require_reply", "weight", "reverse", "lb_algo", "lb_kind",
        "TUN", "type", "gue", "port", "persistence_timeout", "fwmark", "protocol", "UDP", "sorry_server",
        "lvs_sync_daemon", "lvs_timeouts", "tcp", "0", "1", "-1", "255", "256", "65536", "4294967296", "0.5",
        "10.0.0.1", "10.0.0.1/24", "10.0.0.1-9", "::1", "2001:db8::/64", "300.1.1.1", "/bin/true", "{", "}",
        "{", "}", "\n", "\n", "\n", "\"", "'", "#", "!", "\\", "$X=1", "$Y=$X $X", "${X}", "$X", "$Y",
        "@lvs1", "@^lvs1", "~SEQ(N, 1, 3)", "~SEQx(N, 0x9, 0xc)", "~LST(A, 1, 2)", "${N}", "include x.conf",
        "include *.conf", "includer none", "\t", " ", "a=b", "ça", "\u0000", "\r"};

    public static Generator<byte[]> soup() {
        return random -> {
            int n = random.intRange(0, 200);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < n; i++) {
                b.append(WORDS[random.intRange(0, WORDS.length - 1)]).append(random.intRange(0, 3) == 0 ? "" : " ");
            }
            return b.toString().getBytes(StandardCharsets.UTF_8);
        };
    }

    /** An in-memory file system: the input as the main file, and x.conf as something to include. */
    public static KeepalivedReader.Files memory(byte[] main) {
        Map<Path, byte[]> files = new HashMap<>();
        files.put(MAIN, main);
        files.put(Path.of("/fuzz/x.conf"), "vrrp_script chk {\n  script /bin/true\n}\n".getBytes(StandardCharsets.UTF_8));
        return new KeepalivedReader.Files() {
            @Override
            public byte[] read(Path file) throws IOException {
                byte[] b = files.get(file);
                if (b == null) {
                    throw new NoSuchFileException(file.toString());
                }
                return b;
            }

            @Override
            public List<Path> glob(Path pattern) {
                java.nio.file.PathMatcher m = java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + pattern);
                return files.keySet().stream().filter(m::matches).sorted().toList();
            }
        };
    }

}
