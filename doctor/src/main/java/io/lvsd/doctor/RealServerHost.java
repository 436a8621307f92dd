package io.lvsd.doctor;

import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

/**
 * What a real server's checks and setup read and change: kernel parameters, links, addresses, routes, modules and
 * GUE receive ports.
 * {@link LinuxRealServerHost} is the machine; tests supply a fake.
 */
public interface RealServerHost {
    /** A kernel parameter by its dotted name, or {@code null} when it does not exist. */
    String sysctl(String name) throws IOException;

    void setSysctl(String name, String value) throws IOException;

    /** Whether link {@code name} exists; and whether it is up. */
    boolean linkExists(String name) throws IOException;

    boolean linkUp(String name) throws IOException;

    void setLinkUp(String name, boolean up) throws IOException;

    /** The addresses on link {@code name}. */
    List<IpPrefix> addresses(String name) throws IOException;

    void addAddress(String link, IpPrefix prefix) throws IOException;

    void deleteAddress(String link, IpPrefix prefix) throws IOException;

    /** The default route's gateway and interface for {@code family}, or {@code null} without one. */
    Route defaultRoute(IpFamily family) throws IOException;

    /** Whether kernel module {@code name} is loaded (or built in); loading and unloading it. */
    boolean moduleLoaded(String name) throws IOException;

    void loadModule(String name) throws IOException;

    void unloadModule(String name) throws IOException;

    /**
     * The FOU and GUE receive ports open in this network namespace ({@code ip fou show}). Only asked while the
     * {@code fou} module is loaded: asking loads it otherwise.
     */
    List<FouPort> fouPorts() throws IOException;

    /** {@code ip fou add port N gue [-6]}. */
    void addFouPort(int port, IpFamily family) throws IOException;

    /** {@code ip fou del port N [-6]}. */
    void deleteFouPort(int port, IpFamily family) throws IOException;

    /** A file's content, or {@code null} when it does not exist. */
    default String readFile(java.nio.file.Path path) throws IOException {
        return java.nio.file.Files.exists(path) ? java.nio.file.Files.readString(path) : null;
    }

    /** Writes a file whole (its directory created), through a temporary file and a rename. */
    default void writeFile(java.nio.file.Path path, String content) throws IOException {
        java.nio.file.Path dir = path.toAbsolutePath().getParent();
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Path tmp = java.nio.file.Files.createTempFile(dir, ".lvsd-", ".tmp");
        java.nio.file.Files.writeString(tmp, content);
        // A file replaced keeps its mode; a new one is world-readable, as configuration is.
        java.nio.file.Files.setPosixFilePermissions(tmp, java.nio.file.Files.exists(path)
                ? java.nio.file.Files.getPosixFilePermissions(path)
                : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        java.nio.file.Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    default void deleteFile(java.nio.file.Path path) throws IOException {
        java.nio.file.Files.deleteIfExists(path);
    }

    /** A default route: the next hop ({@code null} when on-link) and the interface. */
    record Route(InetAddress gateway, String link) {}

    /**
     * A FOU or GUE receive port: its UDP port, its socket's family, whether it is GUE, and for a FOU (direct) port the
     * IP protocol it takes.
     */
    record FouPort(int port, IpFamily family, boolean gue, int ipproto) {}
}
