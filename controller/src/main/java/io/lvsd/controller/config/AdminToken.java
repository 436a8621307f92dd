package io.lvsd.controller.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The runtime API's bearer token ({@code admin.token-file}), kept only as its SHA-256: requests are compared in
 * constant time against the digest, and logs name the token by {@link #id()}, the digest's first 8 hex digits.
 * Neither the token nor its file's content ever reaches a log, /status, a metric or check-config's output.
 */
public final class AdminToken {
    /** The shortest token accepted. */
    public static final int MIN_LENGTH = 16;

    private final byte[] digest;

    private AdminToken(byte[] digest) {
        this.digest = digest;
    }

    /** The token in {@code file}: its first line, trimmed; null when it is shorter than {@link #MIN_LENGTH}. */
    public static AdminToken read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        String token = (nl < 0 ? text : text.substring(0, nl)).trim();
        return token.length() < MIN_LENGTH ? null : new AdminToken(sha256(token));
    }

    /** Whether {@code presented} is the token, in time independent of where they differ. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(digest, sha256(presented));
    }

    /** How logs name the token: {@code sha256:} and the digest's first 8 hex digits. */
    public String id() {
        return "sha256:" + HexFormat.of().formatHex(digest, 0, 4);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
