package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.NetNamespace;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime API's credential over a real network ({@link VrrpLab}): a director serving its admin endpoint on the
 * LAN ({@code allow-remote}) with a bearer token. From the client's address the API is refused with 403 even with
 * the right token (it must not cross a network in clear text); from the director's own loopback the token gets
 * through to the controls; without it, 401. The read-only endpoints answer everyone. Every refusal is counted.
 */
class AdminAccessIT {
    static final String TOKEN = "an-api-token-for-the-lab-0123456789";

    @TempDir
    Path dir;

    /** The status line and body of one HTTP request from namespace {@code ns} to {@code host}:9180. */
    static String request(String ns, String host, String method, String path, String token) throws Exception {
        return NetNamespace.call(ns, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, 9180), 2000);
                s.setSoTimeout(5000);
                OutputStream o = s.getOutputStream();
                o.write((method + " " + path + " HTTP/1.1\r\nHost: lvsd\r\nConnection: close\r\nContent-Length: 0\r\n"
                        + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                o.flush();
                InputStream in = s.getInputStream();
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                String r = b.toString(StandardCharsets.UTF_8);
                return r.substring(0, r.indexOf("\r\n")) + " | " + r.substring(r.indexOf("\r\n\r\n") + 4).strip();
            }
        });
    }

    @Test
    void offTheLoopbackTheApiIsRefusedEvenWithTheToken() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, TOKEN + "\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        try (VrrpLab lab = new VrrpLab("lvsd-adm", dir)) {
            LvsdProcess d1 = lab.lvsd("d1", """
                    admin { listen = "0.0.0.0:9180", allow-remote = true, token-file = "%s" }
                    vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 81, priority = 150,
                      virtual-addresses = ["%s/24"] }
                    """.formatted(token, VrrpLab.VIP));
            await().atMost(Duration.ofSeconds(60)).until(() -> d1.output().contains("lvsd started") || !d1.alive());
            String drain = "/real-servers/drain?service=web&real-server=10.97.0.21:80";
            String c1 = lab.ns.name("c1");
            String d1ns = lab.ns.name("d1");
            assertThat(request(c1, "10.97.0.11", "POST", drain, TOKEN)).as("from the LAN, with the token")
                    .isEqualTo("HTTP/1.1 403 Forbidden | forbidden");
            assertThat(request(c1, "10.97.0.11", "POST", drain, null)).as("from the LAN, without")
                    .isEqualTo("HTTP/1.1 403 Forbidden | forbidden");
            assertThat(request(d1ns, "127.0.0.1", "POST", drain, null)).as("loopback, no token")
                    .isEqualTo("HTTP/1.1 401 Unauthorized | unauthorized");
            assertThat(request(d1ns, "127.0.0.1", "POST", drain, "not-" + TOKEN)).as("loopback, a wrong token")
                    .isEqualTo("HTTP/1.1 401 Unauthorized | unauthorized");
            // The token gets through: the controls answer (this director has no such virtual server).
            assertThat(request(d1ns, "127.0.0.1", "POST", drain, TOKEN)).as("loopback, the token")
                    .startsWith("HTTP/1.1 404 Not Found | ").contains("web");
            assertThat(request(c1, "10.97.0.11", "GET", "/healthz", null)).isEqualTo("HTTP/1.1 200 OK | ok");
            assertThat(lab.metric("d1", "lvsd_admin_api_refused_total{reason=\"not_loopback\"}")).isEqualTo(2.0);
            assertThat(lab.metric("d1", "lvsd_admin_api_refused_total{reason=\"no_token\"}")).isEqualTo(1.0);
            assertThat(lab.metric("d1", "lvsd_admin_api_refused_total{reason=\"bad_token\"}")).isEqualTo(1.0);
            assertThat(d1.output()).contains("admin: refused POST /real-servers/drain from 10.97.0.50:")
                    .doesNotContain(TOKEN);
        }
    }
}
