package io.lvsd.controller;

import io.lvsd.linux.NetNamespace;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The lab's line echo: a real server answers each line with {@code NAME:line}, so a client connection through a VIP
 * knows which real server holds it, and whether that is still the one that answers.
 */
final class LineEcho {
    private LineEcho() {
    }

    /** Answers every line on {@code c} with {@code name:line} until the client closes. */
    static void answer(Socket c, String name) {
        try (c) {
            c.setTcpNoDelay(true);
            BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = c.getOutputStream();
            String line;
            while ((line = in.readLine()) != null) {
                out.write((name + ":" + line + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException e) {
            // client went away
        }
    }

    /** A client connection from namespace {@code ns} to {@code to}, pinned by IPVS to one real server. */
    static class Conn implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;
        final String owner;
        final int port;

        /** @param from the local address and port (port 0: any), or null for the kernel's choice */
        Conn(String ns, InetSocketAddress from, InetSocketAddress to, int timeoutMs) throws Exception {
            socket = NetNamespace.call(ns, () -> {
                Socket s = new Socket();
                if (from != null) {
                    s.setReuseAddress(true);
                    s.bind(from);
                }
                s.connect(to, timeoutMs);
                s.setSoTimeout(timeoutMs);
                s.setTcpNoDelay(true);
                return s;
            });
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
            port = socket.getLocalPort();
            String first = echo("hello");
            owner = first.substring(0, first.indexOf(':'));
        }

        String echo(String line) throws IOException {
            out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String r = in.readLine();
            if (r == null) {
                throw new IOException("closed by the other side");
            }
            return r;
        }

        /** True when the line comes back from the same real server. */
        boolean works(String line) {
            try {
                return echo(line).equals(owner + ":" + line);
            } catch (IOException e) {
                return false;
            }
        }

        /** Closes with a reset: no TIME_WAIT, so that the same source port can be used again at once. */
        void abort() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
