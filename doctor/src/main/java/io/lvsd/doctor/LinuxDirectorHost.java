package io.lvsd.doctor;

import io.lvsd.linux.proc.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The machine's side of {@link DirectorHost}: /proc/sys, /sys, the kernel's module tree, nft and iptables. */
public final class LinuxDirectorHost implements DirectorHost {
    private final LinuxRealServerHost host = new LinuxRealServerHost();

    @Override
    public String sysctl(String name) throws IOException {
        return host.sysctl(name);
    }

    @Override
    public String kernelRelease() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    }

    @Override
    public ModuleState module(String name) throws IOException {
        if (Files.isDirectory(Path.of("/sys/module", name))) {
            // Built-in modules with parameters also show here; either way the kernel has it.
            return ModuleState.LOADED;
        }
        Path tree = Path.of("/lib/modules", kernelRelease());
        if (!Files.isDirectory(tree)) {
            return ModuleState.NO_MODULE_TREE;
        }
        if (listed(tree.resolve("modules.builtin"), name)) {
            return ModuleState.BUILTIN;
        }
        return listed(tree.resolve("modules.dep"), name) ? ModuleState.LOADABLE : ModuleState.MISSING;
    }

    /**
     * Whether a modules.dep / modules.builtin file lists {@code name}: its lines start with the module's path,
     * {@code kernel/net/netfilter/ipvs/ip_vs_wlc.ko.xz:}. The kernel treats {@code -} and {@code _} alike.
     */
    static boolean listed(Path file, String name) throws IOException {
        if (!Files.exists(file)) {
            return false;
        }
        String want = name.replace('-', '_');
        try (var lines = Files.lines(file)) {
            return lines.map(l -> {
                int colon = l.indexOf(':');
                String path = colon < 0 ? l.strip() : l.substring(0, colon);
                String base = path.substring(path.lastIndexOf('/') + 1);
                int ko = base.indexOf(".ko");
                return (ko < 0 ? base : base.substring(0, ko)).replace('-', '_');
            }).anyMatch(want::equals);
        }
    }

    @Override
    public Link link(String name) throws IOException {
        Path dir = Path.of("/sys/class/net", name);
        if (name.contains("/") || !Files.isDirectory(dir)) {
            return null;
        }
        int flags = Integer.decode(Files.readString(dir.resolve("flags")).strip());
        String oper = Files.readString(dir.resolve("operstate")).strip();
        int mtu = Integer.parseInt(Files.readString(dir.resolve("mtu")).strip());
        // IFF_UP is 0x1; carrier shows as operstate up, or unknown on links without carrier state (lo, dummy).
        return new Link(name, (flags & 0x1) != 0, oper.equals("up") || oper.equals("unknown"), mtu);
    }

    /**
     * nft's view (it shows the nf_tables rules, iptables-nft's among them) and, where the legacy iptables tables hold
     * rules, theirs too; without nft, iptables-save's. {@code null} when no tool is there.
     */
    @Override
    public Firewall.Ruleset firewall() throws IOException {
        List<Firewall.Chain> chains = new ArrayList<>();
        String source;
        if (Processes.which("nft") != null) {
            chains.addAll(Firewall.parseNftJson(Processes.stdout("nft", "-j", "list", "ruleset")).chains());
            source = "nft";
            for (String legacy : List.of("iptables-legacy-save", "ip6tables-legacy-save")) {
                if (Processes.which(legacy) != null) {
                    List<Firewall.Chain> l = Firewall.parseIptablesSave(legacy.replace("-legacy", ""),
                            Processes.stdout(legacy)).chains();
                    if (l.stream().anyMatch(c -> !c.rules().isEmpty() || c.dropPolicy())) {
                        chains.addAll(l);
                        source = "nft and " + legacy;
                    }
                }
            }
        } else {
            String v4 = Processes.which("iptables-save");
            if (v4 == null) {
                return null;
            }
            chains.addAll(Firewall.parseIptablesSave("iptables-save", Processes.stdout(v4)).chains());
            String v6 = Processes.which("ip6tables-save");
            if (v6 != null) {
                chains.addAll(Firewall.parseIptablesSave("ip6tables-save", Processes.stdout(v6)).chains());
            }
            source = "iptables-save";
        }
        return new Firewall.Ruleset(source, chains);
    }
}
