package io.lvsd.controller.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every configuration the project ships (the sample and the examples) loads without an error or a warning, on a host
 * where the Debian package created their script user (DebianPackageIT checks that on a real install).
 */
class ShippedConfigsTest {
    static Stream<Path> shipped() throws IOException {
        Path etc = Path.of("../etc").toAbsolutePath().normalize();
        try (Stream<Path> examples = Files.list(etc.resolve("examples"))) {
            List<Path> files = Stream.concat(Stream.of(etc.resolve("lvsd.conf")),
                    examples.filter(p -> p.toString().endsWith(".conf")).sorted()).toList();
            assertThat(files).hasSizeGreaterThanOrEqualTo(4);
            return files.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("shipped")
    void loadsCleanly(Path file) {
        LoadResult r = TestConfigs.asPackaged(() -> ConfigLoader.load(file));
        assertThat(r.errors()).as(file.toString()).isEmpty();
        assertThat(r.warnings()).as(file.toString()).isEmpty();
    }
}
