package io.lvsd.keepalived;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Fuzz;
import org.junit.jupiter.api.Test;

/**
 * The import reads files an operator did not necessarily write: every input, however broken, gives either an
 * lvsd configuration with diagnostics or one {@link KeepalivedSyntaxException} naming file:line, never another
 * exception, and the same input always gives the same bytes. {@link Fuzz#TRIES} inputs: the corpus mutated, and
 * soups of keepalived's own words, braces, quotes, comments, definitions, conditions and repetitions.
 */
class KeepalivedPropertyTest {
    static String importOf(byte[] input) throws Exception {
        try {
            KeepalivedReader.Result r = KeepalivedReader.read(KeepalivedInputs.memory(input), KeepalivedInputs.MAIN, "lvs1");
            KeepalivedImport.Result c = KeepalivedImport.convert(r, "keepalived.conf");
            assertThat(c.hocon()).startsWith("# lvsd configuration imported from keepalived");
            for (Diagnostic d : c.diagnostics()) {
                assertThat(d.at().line()).isPositive();
            }
            return c.hocon();
        } catch (KeepalivedSyntaxException e) {
            assertThat(e.getMessage()).matches("(?s)\\S+:\\d+: .+");
            return e.getMessage();
        }
    }

    @Test
    void everyInputGivesAConfigurationOrOneErrorWithItsLineAndAlwaysTheSame() throws Exception {
        Fuzz.forAll(KeepalivedInputs.any(), input -> assertThat(importOf(input)).isEqualTo(importOf(input)));
    }
}
