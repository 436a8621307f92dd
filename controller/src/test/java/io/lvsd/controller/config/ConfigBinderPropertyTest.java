package io.lvsd.controller.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.lvsd.testkit.Fuzz;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.instancio.Random;
import org.instancio.generator.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration binder fed random trees: the shipped configurations (etc/lvsd.conf and the examples) with 1 to
 * 4 edits each, a value replaced by one of another type or out of range, a key removed, an unknown key added, an
 * object replaced by a scalar. Every input loads to a configuration or to errors that each name the file and a key
 * or what is wrong, never an exception and never a stack trace; the unedited files load as they are. Loading is
 * the whole path of {@code check-config}: typesafe-config's parser, the merge with every reference.conf, the
 * binder; about 1 ms a load here.
 */
class ConfigBinderPropertyTest {
    @TempDir
    Path dir;

    static List<Config> shipped() throws Exception {
        List<Config> out = new ArrayList<>();
        for (Path p : ShippedConfigsTest.shipped().toList()) {
            out.add(ConfigFactory.parseFile(p.toFile()));
        }
        return out;
    }

    static final String[] TOKENS = {"", "0", "-1", "65536", "4294967296", "1s", "0s", "-5s", "10ms", "2h", "rr",
            "mh", "nat", "dr", "tun", "udp", "tcp", "true", "false", "null", "10.0.0.1", "10.0.0.1:80", "[::1]:80",
            "::1", "10.0.0.0/33", "eth0", "VI_1", "/bin/true", "é", "a b", "${x}", "sha256:00"};

    static ConfigValue randomValue(Random r, int depth) {
        return switch (r.intRange(0, depth > 1 ? 4 : 6)) {
            case 0 -> ConfigValueFactory.fromAnyRef(r.oneOf(TOKENS));
            case 1 -> ConfigValueFactory.fromAnyRef(r.intRange(Integer.MIN_VALUE, Integer.MAX_VALUE));
            case 2 -> ConfigValueFactory.fromAnyRef(r.trueOrFalse());
            case 3 -> ConfigValueFactory.fromAnyRef(null);
            case 4 -> ConfigValueFactory.fromAnyRef(r.alphanumeric(r.intRange(0, 12)));
            case 5 -> {
                List<Object> l = new ArrayList<>();
                for (int i = r.intRange(0, 3); i > 0; i--) {
                    l.add(randomValue(r, depth + 1).unwrapped());
                }
                yield ConfigValueFactory.fromIterable(l);
            }
            default -> {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                for (int i = r.intRange(0, 3); i > 0; i--) {
                    m.put(r.oneOf("name", "address", "priority", "interface", "bogus", "type", "weight"),
                            randomValue(r, depth + 1).unwrapped());
                }
                yield ConfigValueFactory.fromMap(m);
            }
        };
    }

    /** A shipped configuration with 1 to 4 random edits, rendered as HOCON text. */
    static Generator<String> edited(List<Config> seeds) {
        return r -> {
            Config c = r.oneOf(seeds);
            for (int e = r.intRange(1, 4); e > 0; e--) {
                List<String> paths = new ArrayList<>(c.entrySet().stream().map(Map.Entry::getKey).sorted().toList());
                paths.addAll(c.root().keySet());
                if (paths.isEmpty()) {
                    break;
                }
                String path = r.oneOf(paths);
                c = switch (r.intRange(0, 3)) {
                    case 0 -> c.withoutPath(path);
                    case 1 -> c.withValue(path + ".bogus-" + r.lowerCaseAlphabetic(3), randomValue(r, 0));
                    default -> c.withValue(path, randomValue(r, 0));
                };
            }
            return c.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setComments(false)
                    .setJson(false));
        };
    }

    @Test
    void randomTreesLoadOrNameWhatIsWrong() throws Exception {
        Path file = dir.resolve("lvsd.conf");
        Generator<String> inputs = edited(shipped());
        TestConfigs.asPackaged(() -> {
            Fuzz.forAll(inputs, text -> {
                Files.writeString(file, text);
                LoadResult r = ConfigLoader.load(file);
                for (ConfigProblem p : r.errors()) {
                    String f = p.format();
                    assertThat(f).as("an error names the file").startsWith(file.toString());
                    assertThat(p.path().isEmpty() && p.message().isBlank()).as(f).isFalse();
                    assertThat(f).as("no stack trace, no exception's name").doesNotContain("\tat ")
                            .doesNotContain("Exception");
                }
            });
            return null;
        });
    }

    @Test
    void theShippedConfigurationsRenderedAsTheyAreLoadUnchanged() throws Exception {
        Path file = dir.resolve("lvsd.conf");
        for (Config c : shipped()) {
            Files.writeString(file, c.root().render(ConfigRenderOptions.defaults().setOriginComments(false)
                    .setJson(false)));
            LoadResult r = TestConfigs.asPackaged(() -> ConfigLoader.load(file));
            assertThat(r.errors()).isEmpty();
        }
    }
}
