package io.lvsd.controller;

import ch.qos.logback.classic.LoggerContext;
import io.lvsd.controller.cli.CheckConfigCommand;
import io.lvsd.controller.cli.DoctorCommand;
import io.lvsd.controller.cli.ImportCommand;
import io.lvsd.controller.cli.IpvsCommand;
import io.lvsd.controller.cli.RealServerCommand;
import io.lvsd.controller.cli.RunCommand;
import io.lvsd.controller.cli.StatusCommand;
import io.lvsd.controller.cli.RoutingCommand;
import io.lvsd.controller.cli.SyncCommand;
import io.lvsd.controller.cli.VersionCommand;
import io.lvsd.controller.demo.DemoCommand;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lvsd} command, without its subcommands: {@link All} adds them. A run that names a subcommand builds only
 * that one (picocli reads the annotations of every subcommand it is given, and loads their classes: most of a short
 * command's start); man pages, help, usage errors and tests get {@link All}.
 */
@Command(name = "lvsd", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "High-availability controller for Linux Virtual Server (IPVS) directors.",
        footer = {"", "Examples:",
                "  lvsd check-config -f /etc/lvsd/lvsd.conf",
                "  lvsd run -f /etc/lvsd/lvsd.conf",
                "  lvsd ipvs list --stats",
                "  lvsd import keepalived -o lvsd.conf",
                "  lvsd doctor -f /etc/lvsd/lvsd.conf",
                "  lvsd demo                      # as root",
                "",
                "Exit codes: 0 success, 1 failure (e.g. an invalid configuration), 2 bad usage, 3 no IPVS in the kernel."})
public class Main implements Callable<Integer> {
    /** Exit code for a failed command (invalid configuration, startup failure). */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for bad usage. */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** {@code lvsd} with every subcommand, in the order {@code lvsd --help} lists them; man pages are made from it. */
    @Command(subcommands = {RunCommand.class, CheckConfigCommand.class, StatusCommand.class, RealServerCommand.class,
            IpvsCommand.class, SyncCommand.class, RoutingCommand.class, ImportCommand.class, DoctorCommand.class,
            VersionCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
    public static final class All extends Main {
    }

    public static void main(String[] args) {
        int code = commandLine(args.length == 0 ? null : args[0]).execute(args);
        // Logging is asynchronous (etc/logback.xml): drain the queue before the JVM goes. A command that logged
        // nothing never started it, and starting it here only to stop it would cost a short command most of its time.
        if (loggingStarted() && LoggerFactory.getILoggerFactory() instanceof LoggerContext lc) {
            lc.stop();
        }
        System.exit(code);
    }

    /**
     * Whether SLF4J has bound its provider (a logger was asked for), read from its initialization state; when that
     * cannot be read, true, so that the queue is drained as it always was.
     */
    static boolean loggingStarted() {
        try {
            java.lang.reflect.Field f = LoggerFactory.class.getDeclaredField("INITIALIZATION_STATE");
            f.setAccessible(true);
            return f.getInt(null) != 0; // 0: UNINITIALIZED (slf4j-api 2.0)
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true;
        }
    }

    /** The configured command line with every subcommand; tests execute it in-process. */
    public static CommandLine commandLine() {
        return configured(new CommandLine(new All()));
    }

    /**
     * The command line for a run whose first argument is {@code first}: only the subcommand it names, or every one
     * when it names none (help, an option, a typo: usage and suggestions list them all).
     */
    static CommandLine commandLine(String first) {
        if (first != null) {
            for (Class<?> c : All.class.getAnnotation(Command.class).subcommands()) {
                Command a = c.getAnnotation(Command.class);
                if (c != CommandLine.HelpCommand.class && a != null && a.name().equals(first)) {
                    return configured(new CommandLine(new Main()).addSubcommand(c)); // picocli makes it
                }
            }
        }
        return commandLine();
    }

    private static CommandLine configured(CommandLine cl) {
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            // An operator sees one sentence, never a stack trace.
            String m = ex.getMessage();
            cmd.getErr().println("lvsd " + cmd.getCommandName() + ": " + (m == null ? ex.getClass().getSimpleName() : m));
            return EXIT_FAILURE;
        });
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"lvsd " + BuildInfo.version()};
        }
    }
}
