package io.lvsd.controller;

/**
 * The launcher's entry point. {@code lvsd version}, which scripts run often, is answered here, before anything else
 * loads: the command-line model ({@link Main}) costs most of a short command's start, because picocli's classes are
 * Java 5 bytecode, which class-data sharing does not archive, and even looking up {@code Main.main} loads them (its
 * public methods name picocli's types). Everything else goes to {@link Main}.
 */
public final class Lvsd {
    private Lvsd() {
    }

    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals("version")) {
            System.out.println(BuildInfo.describe());
            System.exit(0);
        }
        Main.main(args);
    }
}
