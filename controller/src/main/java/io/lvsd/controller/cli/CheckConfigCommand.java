package io.lvsd.controller.cli;

import io.lvsd.controller.Main;
import io.lvsd.controller.config.ConfigLoader;
import io.lvsd.controller.config.ConfigProblem;
import io.lvsd.controller.config.ConfigSummary;
import io.lvsd.controller.config.LoadResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lvsd check-config -f FILE}. */
@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = {"Validate a configuration file and summarise what it defines.",
                "Every error is listed with file:line, the key, the bad value and what was expected."},
        footer = {"", "Examples:",
                "  lvsd check-config -f /etc/lvsd/lvsd.conf",
                "  lvsd check-config -f lvsd.conf.new && systemctl reload lvsd",
                "", "Exit codes: 0 valid, 1 invalid."})
public final class CheckConfigCommand implements Callable<Integer> {
    @Option(names = {"-f", "--config"}, required = true, paramLabel = "FILE", description = "The configuration file.")
    Path file;

    @Option(names = {"-q", "--quiet"}, description = "Print only problems, not the summary.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadResult r = ConfigLoader.load(file);
        for (ConfigProblem w : r.warnings()) {
            err.println("warning: " + w.format());
        }
        if (!r.ok()) {
            for (ConfigProblem e : r.errors()) {
                err.println(e.format());
            }
            err.println(r.errors().size() + (r.errors().size() == 1 ? " error" : " errors") + " in " + file);
            return Main.EXIT_FAILURE;
        }
        if (!quiet) {
            out.print(ConfigSummary.of(r.config()).render());
        }
        out.flush();
        return 0;
    }
}
