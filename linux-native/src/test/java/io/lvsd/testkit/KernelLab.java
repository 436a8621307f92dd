package io.lvsd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Runs code against a real IPVS kernel through {@code lab/vm.sh}. A module's {@code *IT} calls
 * {@link #runVmTests} once: one VM boot runs all of that module's {@code *VmTest} classes with
 * JUnit's console launcher, and their failures become this test's failure.
 */
public final class KernelLab {
    private KernelLab() {
    }

    /** What the guest script did. */
    public record Result(int exitCode, String guestLog, Path outDir) {
    }

    /** True inside the lab VM (vm.sh's guest sets LVSD_IN_VM=1). */
    public static boolean inVm() {
        return "1".equals(System.getenv("LVSD_IN_VM"));
    }

    /** Skips (or fails) unless the kernel has IPVS, as the lab VM's does. */
    public static void requireIpvs() {
        if (!Files.exists(Path.of("/proc/net/ip_vs"))) {
            Lab.unavailable("needs a kernel with IPVS (run through the kernel lab, lab/vm.sh)");
        }
    }

    /** The checkout's top directory: the first parent of the working directory with lab/vm.sh. */
    public static Path projectRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("lab/vm.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no lab/vm.sh above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** Boots the VM and runs {@code script} (sh) as root inside; needs root on the host. */
    public static Result run(String script, Path outDir, List<Path> extraShares) throws IOException, InterruptedException {
        Lab.requireRoot("boots the kernel lab VM");
        // The guest runs this machine's root filesystem: what its scenarios run must be installed here first.
        Lab.requireCommand("ip", "iproute2");
        Lab.requireCommand("sysctl", "procps");
        Files.createDirectories(outDir);
        Path scriptFile = outDir.resolve("scenario.sh");
        Files.writeString(scriptFile, "export LVSD_IN_VM=1 LVSD_REQUIRE_LAB=1\n" + script);
        Set<String> shares = new LinkedHashSet<>();
        for (Path p : extraShares) {
            if (p.toAbsolutePath().startsWith("/tmp")) {
                shares.add(p.toAbsolutePath().toString());
            }
        }
        ProcessBuilder pb = new ProcessBuilder(projectRoot().resolve("lab/vm.sh").toString(), scriptFile.toString(),
                outDir.toAbsolutePath().toString()).redirectErrorStream(true)
                .redirectOutput(outDir.resolve("vm.log").toFile());
        pb.environment().put("LVSD_LAB_SHARE", String.join(" ", shares));
        Process p = pb.start();
        if (!p.waitFor(55, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the lab VM did not finish within 55 minutes");
        }
        Path log = outDir.resolve("guest.log");
        String guest = Files.exists(log) ? Files.readString(log) : "";
        if (p.exitValue() >= 124) {
            throw new AssertionError("the lab VM failed (exit " + p.exitValue() + "): "
                    + Files.readString(outDir.resolve("vm.log")) + "\nconsole tail:\n" + tail(outDir.resolve("console.log")));
        }
        return new Result(p.exitValue(), guest, outDir);
    }

    /**
     * Runs every {@code *VmTest} class under {@code testClasses} inside one VM and asserts that
     * they ran and all passed. The test classpath comes from surefire/failsafe's
     * {@code surefire.test.class.path} property and must include junit-platform-console.
     */
    public static int runVmTests(Path testClasses, Path outDir) throws Exception {
        return runVmTests(testClasses, outDir, java.util.Map.of());
    }

    /**
     * As above, with system properties for the tests inside the VM.
     *
     * @return how many tests ran in the VM, all of them passed
     */
    public static int runVmTests(Path testClasses, Path outDir, java.util.Map<String, String> properties) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<Path> shares = new ArrayList<>();
        shares.add(projectRoot());
        Path reports = outDir.resolve("reports");
        String script = "cd " + projectRoot() + "\n"
                + "exec java -XX:TieredStopAtLevel=1" + props(properties) + " -cp '" + cp + "' org.junit.platform.console.ConsoleLauncher execute"
                + " --disable-banner --details=tree --scan-classpath " + testClasses.toAbsolutePath()
                + " --include-classname '" + vmTestPattern() + "' --reports-dir " + reports + "\n";
        long boot = System.nanoTime();
        Result r = run(script, outDir, shares);
        double vmSeconds = (System.nanoTime() - boot) / 1e9;
        System.out.println(r.guestLog());
        Path xml = reports.resolve("TEST-junit-jupiter.xml");
        assertThat(xml).as("JUnit report from the VM; guest log:\n" + r.guestLog()).exists();
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        Element suite = doc.getDocumentElement();
        int tests = Integer.parseInt(suite.getAttribute("tests"));
        List<String> failed = new ArrayList<>();
        NodeList cases = doc.getElementsByTagName("testcase");
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            for (String tag : List.of("failure", "error", "skipped")) {
                NodeList f = c.getElementsByTagName(tag);
                if (f.getLength() > 0) {
                    Element e = (Element) f.item(0);
                    failed.add(tag + ": " + c.getAttribute("classname") + "." + c.getAttribute("name") + ": "
                            + e.getAttribute("message") + "\n" + firstLines(e.getTextContent(), 12));
                }
            }
        }
        System.out.print(timeTable(cases, vmSeconds));
        assertThat(tests).as("tests run in the VM").isPositive();
        assertThat(failed).as("VM tests that did not pass").isEmpty();
        assertThat(r.exitCode()).as("console launcher exit code").isZero();
        return tests;
    }

    /**
     * Where the VM's time went: each scenario's time from the JUnit report, per class and per test, in the order they
     * ran, and what the boot, the JVM and teardown took on top (the VM's wall time minus the tests').
     */
    static String timeTable(NodeList cases, double vmSeconds) {
        java.util.Map<String, Double> perClass = new java.util.LinkedHashMap<>();
        StringBuilder rows = new StringBuilder();
        double sum = 0;
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            double t = Double.parseDouble(c.getAttribute("time").isEmpty() ? "0" : c.getAttribute("time").replace(",", ""));
            String cls = c.getAttribute("classname");
            cls = cls.substring(cls.lastIndexOf('.') + 1);
            String name = c.getAttribute("name");
            perClass.merge(cls, t, Double::sum);
            sum += t;
            String status = c.getElementsByTagName("failure").getLength() > 0 ? "FAILED"
                    : c.getElementsByTagName("error").getLength() > 0 ? "ERROR"
                    : c.getElementsByTagName("skipped").getLength() > 0 ? "SKIPPED" : "ok";
            rows.append(String.format(java.util.Locale.ROOT, "  %7.1f  %-7s %s.%s%n", t, status, cls,
                    name.length() > 80 ? name.substring(0, 77) + "..." : name));
        }
        StringBuilder b = new StringBuilder("\nkernel lab: time per scenario (s), in the order run\n").append(rows);
        b.append("kernel lab: time per class (s)\n");
        perClass.forEach((k, v) -> b.append(String.format(java.util.Locale.ROOT, "  %7.1f  %s%n", v, k)));
        b.append(String.format(java.util.Locale.ROOT, "  %7.1f  (tests)%n  %7.1f  (VM boot, guest JVM start, teardown)%n"
                + "  %7.1f  VM wall time%n", sum, Math.max(0, vmSeconds - sum), vmSeconds));
        return b.toString();
    }

    private static final String ALL_VM_TESTS = ".*VmTest";

    /**
     * The VM test classes to run: all ({@code .*VmTest}) unless the system property {@code lvsd.vm.tests} names a
     * pattern, to re-run one scenario in a fresh VM (e.g. {@code -Dlvsd.vm.tests=.*HaSyncVmTest}).
     */
    public static String vmTestPattern() {
        String p = System.getProperty("lvsd.vm.tests", "").trim();
        if (p.isEmpty()) {
            return ALL_VM_TESTS;
        }
        if (!p.matches("[A-Za-z0-9_.*|()$]+")) {
            throw new IllegalArgumentException("-Dlvsd.vm.tests=" + p + ": a class-name pattern of letters, digits, . * | ( ) only");
        }
        return p;
    }

    /** True when {@link #vmTestPattern} runs every VM test class. */
    public static boolean allVmTests() {
        return vmTestPattern().equals(ALL_VM_TESTS);
    }

    private static String props(java.util.Map<String, String> properties) {
        StringBuilder b = new StringBuilder();
        properties.forEach((k, v) -> b.append(" '-D").append(k).append('=').append(v).append('\''));
        return b.toString();
    }

    private static String firstLines(String s, int n) {
        return String.join("\n", s.lines().limit(n).toList());
    }

    private static String tail(Path p) throws IOException {
        if (!Files.exists(p)) {
            return "(none)";
        }
        List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
