package io.lvsd.controller.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnedServicesTest {
    @TempDir
    Path dir;

    static final ServiceKey WEB = new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse("10.0.0.1"), 80));
    static final ServiceKey DNS6 = new ServiceKey.Addr(Protocol.UDP,
            new InetSocketAddress(IpAddresses.parse("2001:db8::53"), 53));
    static final ServiceKey MARK = new ServiceKey.Fwmark(IpFamily.IPV6, 4_294_967_295L);

    @Test
    void whatIsSavedLoadsBackAndTheWriteLeavesNoTemporaryFile() throws Exception {
        Path f = dir.resolve("state/owned-services.json");
        OwnedServices.save(f, Set.of(WEB, DNS6, MARK));
        assertThat(Files.readString(f)).contains("\"version\" : 1", "\"tcp 10.0.0.1:80\"", "\"udp [2001:db8::53]:53\"",
                "\"fwmark 4294967295 IPv6\"");
        OwnedServices.Loaded l = OwnedServices.load(f);
        assertThat(l.problem()).isNull();
        assertThat(l.missing()).isFalse();
        assertThat(l.services()).containsExactlyInAnyOrder(WEB, DNS6, MARK);
        OwnedServices.save(f, Set.of());
        assertThat(OwnedServices.load(f).services()).isEmpty();
        try (var files = Files.list(f.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("owned-services.json");
        }
    }

    @Test
    void aMissingFileIsAFirstStartNotAProblem() {
        OwnedServices.Loaded l = OwnedServices.load(dir.resolve("owned-services.json"));
        assertThat(l.missing()).isTrue();
        assertThat(l.problem()).isNull();
        assertThat(l.services()).isEmpty();
    }

    @Test
    void aCorruptFileOwnsNothingAndSaysWhatIsWrong() throws Exception {
        Path f = dir.resolve("owned-services.json");
        Files.writeString(f, "{\"version\": 1, \"services\": [\"tcp 10.0.0.1:80\", \"tcp 10.0.0.1\"]}");
        assertThat(OwnedServices.load(f)).satisfies(l -> {
            assertThat(l.services()).isEmpty();
            assertThat(l.problem()).contains(f.toString(), "corrupt", "services[1]: \"tcp 10.0.0.1\"");
        });
        Files.writeString(f, "{\"version\": 1, \"services\": [\"tcp 10.0.0.1:80\"");
        assertThat(OwnedServices.load(f).problem()).contains("corrupt", "not JSON");
        Files.writeString(f, "{\"version\": 2, \"services\": []}");
        assertThat(OwnedServices.load(f).problem()).contains("version: 2 (expected 1)");
        Files.writeString(f, "[]");
        assertThat(OwnedServices.load(f).problem()).contains("not a JSON object");
        Files.writeString(f, "");
        assertThat(OwnedServices.load(f).problem()).contains("corrupt");
        Files.write(f, new byte[] {(byte) 0xff, 0, 1});
        assertThat(OwnedServices.load(f).problem()).contains("corrupt");
    }

    @Test
    void anUnreadableFileOwnsNothing() throws Exception {
        Path f = dir.resolve("owned-services.json");
        Files.createDirectory(f); // reading a directory fails like an unreadable file
        OwnedServices.Loaded l = OwnedServices.load(f);
        assertThat(l.services()).isEmpty();
        assertThat(l.problem()).contains("cannot read");
    }

    @Test
    void onlyWhatDescribeWritesParses() {
        assertThat(OwnedServices.parse("sctp 192.0.2.1:3868")).isEqualTo(new ServiceKey.Addr(Protocol.SCTP,
                new InetSocketAddress(IpAddresses.parse("192.0.2.1"), 3868)));
        assertThat(OwnedServices.parse("TCP 10.0.0.1:80")).isNull();
        assertThat(OwnedServices.parse("icmp 10.0.0.1:80")).isNull();
        assertThat(OwnedServices.parse("fwmark 0 IPv4")).isNull();
        assertThat(OwnedServices.parse("fwmark 7 IPv5")).isNull();
        assertThat(OwnedServices.parse("tcp 10.0.0.1:99999")).isNull();
        assertThat(OwnedServices.parse("")).isNull();
    }
}
