package io.lvsd.controller;

import io.lvsd.linux.NetNamespace;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test servers in network namespaces, and a client for them. A TCP server reads what a client sends until the client
 * half-closes, then answers {@code NAME got N bytes}; a UDP server answers each datagram with {@code NAME PAYLOAD}.
 * Each accepts a bounded number of clients; {@link #close} stops them all.
 */
final class LabServers implements AutoCloseable {
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    /** A TCP server on {@code port} of every address in namespace {@code ns}. */
    ServerSocket tcp(String ns, int port, String name) throws Exception {
        return tcp(ns, "0.0.0.0", port, name);
    }

    /** A TCP server on {@code address}:{@code port} in namespace {@code ns} ({@code ::}: every IPv6 address). */
    ServerSocket tcp(String ns, String address, int port, String name) throws Exception {
        ServerSocket s = NetNamespace.call(ns, () -> {
            ServerSocket ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(address, port), 64);
            return ss;
        });
        open.add(s);
        Thread t = new Thread(() -> {
            for (int n = 0; n < 10_000 && !s.isClosed(); n++) {
                try (Socket c = s.accept()) {
                    c.setSoTimeout(10_000);
                    InputStream in = c.getInputStream();
                    byte[] buf = new byte[8192];
                    long total = 0;
                    for (int r; (r = in.read(buf)) >= 0; ) {
                        total += r;
                    }
                    c.getOutputStream().write((name + " got " + total + " bytes\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed, or a client that went away
                }
            }
        }, "tcp-" + name);
        t.setDaemon(true);
        t.start();
        return s;
    }

    /**
     * A UDP server on {@code port} of every address in namespace {@code ns}. Its replies leave from the address the
     * kernel's route picks, not the one the datagram came to (Java has no IP_PKTINFO): a DR real server must bind
     * its VIP ({@link #udp(String, String, int, String)}) to answer from it.
     */
    DatagramSocket udp(String ns, int port, String name) throws Exception {
        return udp(ns, "0.0.0.0", port, name);
    }

    /** A UDP server on {@code address}:{@code port} in namespace {@code ns}. */
    DatagramSocket udp(String ns, String address, int port, String name) throws Exception {
        DatagramSocket s = NetNamespace.call(ns, () -> {
            DatagramSocket d = new DatagramSocket(null);
            d.setReuseAddress(true);
            d.bind(new InetSocketAddress(address, port));
            return d;
        });
        open.add(s);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[2048];
            for (long n = 0; n < 1_000_000 && !s.isClosed(); n++) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    byte[] out = (name + " " + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8);
                    s.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                } catch (IOException e) {
                    // closed
                }
            }
        }, "udp-" + name);
        t.setDaemon(true);
        t.start();
        return s;
    }

    /**
     * From namespace {@code ns}: connects to {@code address}:{@code port}, sends {@code bytes} bytes, half-closes and
     * reads the answer line; {@code error: ...} when that fails within {@code timeoutMillis}.
     */
    static String request(String ns, String address, int port, int bytes, int timeoutMillis) throws Exception {
        return NetNamespace.call(ns, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(address, port), timeoutMillis);
                s.setSoTimeout(timeoutMillis);
                byte[] body = new byte[bytes];
                java.util.Arrays.fill(body, (byte) 'x');
                s.getOutputStream().write(body);
                s.shutdownOutput();
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                return line == null ? "error: closed without an answer" : line;
            } catch (IOException e) {
                return "error: " + e.getMessage();
            }
        });
    }

    @Override
    public void close() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }
}
