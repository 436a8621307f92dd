package io.lvsd.controller;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version this build was made from. */
public final class BuildInfo {
    private static final String VERSION = load();

    private BuildInfo() {
    }

    public static String version() {
        return VERSION;
    }

    /** What {@code lvsd version} prints: this version, Java's, and the platform. */
    public static String describe() {
        return "lvsd " + VERSION + " (Java " + System.getProperty("java.version") + ", " + System.getProperty("os.name")
                + " " + System.getProperty("os.arch") + ")";
    }

    private static String load() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
