package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Argument checks whose messages reach an operator. */
class RequireTest {
    @Test
    void aBlankValueIsShownOnOneLineWithItsControlCharactersEscaped() {
        // Found by IpvsCodecFuzzTest: a daemon's interface name "\r" from the kernel broke the error onto two lines.
        assertThatThrownBy(() -> Require.nonEmpty("interface", "\r\t \013"))
                .hasMessage("interface: \"\\r\\t \\u000b\" (expected a non-empty string)");
        assertThatThrownBy(() -> Require.nonEmpty("name", "")).hasMessage("name: \"\" (expected a non-empty string)");
    }
}
