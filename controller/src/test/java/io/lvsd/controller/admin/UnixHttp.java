package io.lvsd.controller.admin;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A test's HTTP/1.1 request over a Unix-domain socket (the JDK's HttpClient has none): the whole answer as text. */
public final class UnixHttp {
    private UnixHttp() {
    }

    public static String get(Path socket, String path) throws Exception {
        return send(socket, "GET", path);
    }

    public static String post(Path socket, String path) throws Exception {
        return send(socket, "POST", path);
    }

    public static String send(Path socket, String method, String path) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            String req = method + " " + path + " HTTP/1.1\r\nHost: lvsd\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0 && out.size() < 1 << 20) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
