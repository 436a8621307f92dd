package io.lvsd.controller.cli;

import io.lvsd.controller.Main;
import io.lvsd.controller.config.ConfigLoader;
import io.lvsd.controller.config.ConfigProblem;
import io.lvsd.controller.config.LoadResult;
import io.lvsd.keepalived.Diagnostic;
import io.lvsd.keepalived.KeepalivedImport;
import io.lvsd.keepalived.KeepalivedReader;
import io.lvsd.keepalived.KeepalivedSyntaxException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lvsd import keepalived}: another daemon's configuration, converted. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Convert another load balancer's configuration into lvsd's."},
        subcommands = {ImportCommand.Keepalived.class})
public final class ImportCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.EXIT_USAGE;
    }

    /** {@code lvsd import keepalived [-f FILE] [-o FILE] [--report]}. */
    @Command(name = "keepalived", mixinStandardHelpOptions = true,
            description = {"Convert a keepalived.conf (with its includes) into lvsd HOCON.",
                    "The configuration goes to FILE or standard output, diagnostics to standard error as",
                    "file:line: kind: message. Every block of the output names the keepalived line it came",
                    "from; what could not be converted is named there with a '# TODO'.",
                    "The output is checked as `lvsd check-config` would check it."},
            footer = {"", "Examples:",
                    "  lvsd import keepalived -f /etc/keepalived/keepalived.conf -o /etc/lvsd/lvsd.conf",
                    "  lvsd import keepalived --report",
                    "  lvsd import keepalived --config-id lvs2 -o lvs2.conf   # @lvs2 lines as on host lvs2",
                    "", "Exit codes: 0 everything converted; 1 something did not (each item named, the output",
                    "written with TODOs) or the input cannot be read (file:line, nothing written); 2 bad usage."})
    public static final class Keepalived implements Callable<Integer> {
        @Option(names = {"-f", "--config"}, paramLabel = "FILE", defaultValue = "/etc/keepalived/keepalived.conf",
                description = "keepalived's configuration (default: ${DEFAULT-VALUE}).")
        Path input;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write lvsd's configuration here"
                + " instead of standard output.")
        Path output;

        @Option(names = "--report", description = "Print a table instead: each keepalived keyword found, how often,"
                + " and what it became.")
        boolean report;

        @Option(names = {"-i", "--config-id"}, paramLabel = "ID", description = "The config id that @ID lines are"
                + " compared with, as keepalived's -i (default: this host's name up to its first dot).")
        String configId;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String id = configId != null ? configId : hostId();
            KeepalivedReader.Result read;
            try {
                read = KeepalivedReader.read(input, id);
            } catch (KeepalivedSyntaxException e) {
                err.println(e.getMessage());
                err.println("nothing written: " + input + " cannot be read as keepalived reads it");
                return Main.EXIT_FAILURE;
            } catch (NoSuchFileException e) {
                err.println("lvsd import keepalived: " + input + ": no such file");
                return Main.EXIT_FAILURE;
            }
            KeepalivedImport.Result r = KeepalivedImport.convert(read, input.getFileName().toString());
            if (report) {
                out.print(table(r));
                out.flush();
                return r.complete() ? 0 : Main.EXIT_FAILURE;
            }
            for (Diagnostic d : r.diagnostics()) {
                err.println(d.format());
            }
            List<String> invalid = check(r.hocon(), output == null ? "<output>" : output.toString());
            invalid.forEach(err::println);
            if (output == null) {
                out.print(r.hocon());
                out.flush();
            } else {
                Path tmp = Files.createTempFile(output.toAbsolutePath().getParent(), ".lvsd-import", ".tmp");
                try {
                    Files.writeString(tmp, r.hocon(), StandardCharsets.UTF_8);
                    Files.move(tmp, output, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            long todos = r.diagnostics().stream().filter(d -> d.kind() == Diagnostic.Kind.TODO).count();
            if (todos > 0) {
                err.println(todos + " not converted: the output has a TODO at each place");
            }
            if (!invalid.isEmpty()) {
                err.println(invalid.size() + (invalid.size() == 1 ? " problem" : " problems")
                        + " that lvsd check-config reports in the output (above)");
            }
            if (todos > 0 || !invalid.isEmpty()) {
                return Main.EXIT_FAILURE;
            }
            return 0;
        }

        /** What {@code lvsd check-config} says about the output. */
        static List<String> check(String hocon, String name) throws IOException {
            Path dir = Files.createTempDirectory("lvsd-import");
            try {
                Path f = dir.resolve("lvsd.conf");
                Files.writeString(f, hocon, StandardCharsets.UTF_8);
                LoadResult r = ConfigLoader.load(f);
                List<String> out = new ArrayList<>();
                for (ConfigProblem p : r.errors()) {
                    out.add("check-config: " + p.format().replace(f.toString(), name));
                }
                return out;
            } finally {
                try (Stream<Path> s = Files.walk(dir)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }

        static String table(KeepalivedImport.Result r) {
            int c = "context".length();
            int k = "keyword".length();
            for (KeepalivedImport.ReportRow row : r.report()) {
                c = Math.max(c, row.context().length());
                k = Math.max(k, row.keyword().length());
            }
            StringBuilder b = new StringBuilder();
            String fmt = "%-" + c + "s  %-" + k + "s  %5s  %s%n";
            b.append(String.format(fmt, "context", "keyword", "count", "became"));
            for (KeepalivedImport.ReportRow row : r.report()) {
                b.append(String.format(fmt, row.context(), row.keyword(), row.count(), row.became()));
            }
            return b.toString();
        }

        /** keepalived's default config id: the node name up to its first dot. */
        static String hostId() {
            try {
                String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
                int dot = h.indexOf('.');
                return dot > 0 ? h.substring(0, dot) : h;
            } catch (IOException e) {
                try {
                    return InetAddress.getLocalHost().getHostName().split("\\.", 2)[0];
                } catch (IOException e2) {
                    return "";
                }
            }
        }
    }
}
