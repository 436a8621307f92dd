package io.lvsd.vrrp;

import io.lvsd.linux.Require;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One virtual router (RFC 5798 §5.2 / RFC 3768 §5.3).
 *
 * @param name                  the instance name, e.g. {@code VI_1}
 * @param interfaceName         where adverts are sent and received
 * @param virtualRouterId       VRID, 1-255
 * @param priority              1-255; 255 means this router owns the addresses
 * @param version               2 (RFC 3768, IPv4 only) or 3 (RFC 5798/9568)
 * @param advertInterval        v2: whole seconds; v3: centiseconds up to 40.95 s
 * @param preempt               whether a higher-priority backup takes over from a master
 * @param preemptDelay          how long a backup waits before preempting, after startup
 * @param unicastSource         source address for unicast adverts, or null
 * @param unicastPeers          unicast peers; empty means multicast to 224.0.0.18 / ff02::12
 * @param unicastPeersCheck     in unicast mode, drop adverts whose source is not one of {@code unicastPeers}
 * @param unicastMinTtl         in unicast mode, drop adverts that arrive with a lower TTL / hop limit (0: no
 *                              check); 255 accepts only peers on the link (the idea of RFC 5082), lvsd's own policy
 * @param authPassword          VRRPv2 simple-text password (RFC 2338 type 1), or null
 * @param virtualAddresses      the addresses the master holds, all of one family
 * @param v3ChecksumPseudoHeader for v3 over IPv4, whether the checksum covers the IPv4
 *                              pseudo-header (RFC 5798 §5.2.8; keepalived's default is yes)
 * @param track                 what lowers the priority or faults the instance
 * @param notifyCommands        commands run on state changes
 */
public record VrrpInstanceConfig(String name, String interfaceName, int virtualRouterId, int priority, int version,
                                 Duration advertInterval, boolean preempt, Duration preemptDelay,
                                 InetAddress unicastSource, List<InetAddress> unicastPeers, boolean unicastPeersCheck,
                                 int unicastMinTtl, String authPassword,
                                 List<VirtualAddress> virtualAddresses, boolean v3ChecksumPseudoHeader,
                                 Track track, NotifyCommands notifyCommands) {
    public VrrpInstanceConfig {
        Require.nonEmpty("name", name);
        Require.nonEmpty("interface", interfaceName);
        Require.range("virtual-router-id", virtualRouterId, 1, 255);
        Require.range("priority", priority, 1, 255);
        Require.range("version", version, 2, 3);
        Require.positive("advert-interval", advertInterval);
        Require.nonNegative("preempt-delay", preemptDelay);
        unicastPeers = List.copyOf(unicastPeers);
        Require.range("unicast-min-ttl", unicastMinTtl, 0, 255);
        virtualAddresses = List.copyOf(virtualAddresses);
        if (virtualAddresses.isEmpty()) {
            throw new IllegalArgumentException("virtual-addresses: [] (expected at least one address)");
        }
        Objects.requireNonNull(track, "track");
        Objects.requireNonNull(notifyCommands, "notify");
    }

    /** The family of the virtual addresses, and so of the adverts. */
    public IpFamily family() {
        return virtualAddresses.get(0).prefix().family();
    }

    /** An address the master holds; {@code interfaceName} null means the instance's interface. */
    public record VirtualAddress(IpPrefix prefix, String interfaceName) {
        public VirtualAddress {
            Objects.requireNonNull(prefix, "address");
        }
    }

    /** What is tracked. Weight 0 faults the instance; otherwise the weight adds to the priority. */
    public record Track(List<TrackedInterface> interfaces, List<TrackedScript> scripts, List<TrackedFile> files) {
        public Track {
            interfaces = List.copyOf(interfaces);
            scripts = List.copyOf(scripts);
            files = List.copyOf(files);
        }

        public static Track none() {
            return new Track(List.of(), List.of(), List.of());
        }
    }

    /** An interface whose link going down subtracts {@code |weight|} (0 = fault). */
    public record TrackedInterface(String name, int weight) {
        public TrackedInterface {
            Require.nonEmpty("name", name);
            Require.range("weight", weight, -254, 254);
        }
    }

    /** A reference to {@code vrrp.track-scripts.NAME}; {@code weight} null uses the script's own. */
    public record TrackedScript(String name, Integer weight) {
        public TrackedScript {
            Require.nonEmpty("name", name);
            if (weight != null) {
                Require.range("weight", weight, -254, 254);
            }
        }
    }

    /** A file holding an integer that, multiplied by {@code weight}, adds to the priority. */
    public record TrackedFile(Path path, int weight) {
        public TrackedFile {
            Objects.requireNonNull(path, "path");
            Require.range("weight", weight, -254, 254);
        }
    }
}
