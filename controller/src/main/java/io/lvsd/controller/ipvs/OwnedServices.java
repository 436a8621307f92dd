package io.lvsd.controller.ipvs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The IPVS services lvsd owns, kept in a file under its state directory so that ownership survives a restart: a
 * service removed from the configuration while lvsd was stopped is still lvsd's to delete, and foreign services
 * stay foreign.
 *
 * <p>The file is JSON, {@code {"version": 1, "services": ["tcp 10.0.0.1:80", "fwmark 7 IPv4", ...]}}, written
 * atomically: a temporary file in the same directory, fsync, rename over the old one, fsync of the directory. A
 * reader therefore sees the old file or the new one, never a torn one.
 */
public final class OwnedServices {
    /** The file's name in the state directory. */
    public static final String FILE = "owned-services.json";
    private static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private OwnedServices() {
    }

    /**
     * What a load found: the services, and {@code problem} when the file was unreadable or corrupt (then
     * {@code services} is empty: lvsd owns nothing it cannot prove). A missing file is no problem: a first start.
     */
    public record Loaded(Set<ServiceKey> services, boolean missing, String problem) {
        public Loaded {
            services = Set.copyOf(services);
        }
    }

    public static Loaded load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new Loaded(Set.of(), true, null);
        } catch (IOException | RuntimeException e) {
            return new Loaded(Set.of(), false, file + ": cannot read: " + e.getMessage());
        }
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                return corrupt(file, "not a JSON object");
            }
            JsonNode v = root.get("version");
            if (v == null || !v.isInt() || v.intValue() != VERSION) {
                return corrupt(file, "version: " + v + " (expected " + VERSION + ")");
            }
            JsonNode list = root.get("services");
            if (list == null || !list.isArray()) {
                return corrupt(file, "services: " + list + " (expected a list)");
            }
            Set<ServiceKey> out = new LinkedHashSet<>();
            for (int i = 0; i < list.size(); i++) {
                JsonNode s = list.get(i);
                ServiceKey k = s.isTextual() ? parse(s.textValue()) : null;
                if (k == null) {
                    return corrupt(file, "services[" + i + "]: " + s + " (expected e.g. \"tcp 10.0.0.1:80\" or "
                            + "\"fwmark 7 IPv4\")");
                }
                out.add(k);
            }
            return new Loaded(out, false, null);
        } catch (JsonProcessingException e) {
            return corrupt(file, "not JSON (line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
                    + ")");
        } catch (IOException e) {
            return corrupt(file, e.getMessage());
        }
    }

    private static Loaded corrupt(Path file, String why) {
        return new Loaded(Set.of(), false, file + ": corrupt: " + why);
    }

    /** Writes {@code services} to {@code file} atomically (see the class comment), creating the directory. */
    public static void save(Path file, Set<ServiceKey> services) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        ArrayNode list = root.putArray("services");
        services.stream().map(ServiceKey::describe).sorted().forEach(list::add);
        byte[] bytes = (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself reaches the disk
        }
    }

    /** The inverse of {@link ServiceKey#describe}; null when {@code text} is not one. */
    static ServiceKey parse(String text) {
        String[] w = text.split(" ");
        try {
            if (w.length == 3 && w[0].equals("fwmark")) {
                IpFamily f = w[2].equals("IPv4") ? IpFamily.IPV4 : w[2].equals("IPv6") ? IpFamily.IPV6 : null;
                return f == null ? null : new ServiceKey.Fwmark(f, Long.parseLong(w[1]));
            }
            if (w.length == 2) {
                Protocol p = Protocol.valueOf(w[0].toUpperCase(Locale.ROOT));
                if (!p.key().equals(w[0])) {
                    return null;
                }
                return new ServiceKey.Addr(p, IpAddresses.parseEndpoint(w[1], -1));
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return null;
    }
}
