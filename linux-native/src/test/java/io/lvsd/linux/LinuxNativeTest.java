package io.lvsd.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LinuxNativeTest {
    @Test
    void sockaddrForAPathIsFamilyPathAndTerminator() {
        // struct sockaddr_un { sa_family_t sun_family (host order); char sun_path[]; }
        assertThat(LinuxNative.sockaddrUnix("/a")).containsExactly(
                0x01, 0x00,        // sun_family = AF_UNIX (1), little-endian
                '/', 'a', 0x00);   // path and its NUL
    }

    @Test
    void sockaddrForAnAbstractNameStartsWithNulAndHasNoTerminator() {
        assertThat(LinuxNative.sockaddrUnix("@ab")).containsExactly(
                0x01, 0x00,        // AF_UNIX
                0x00, 'a', 'b');   // '@' becomes the leading NUL of the abstract namespace
    }

    @Test
    void sockaddrRejectsOverlongPaths() {
        assertThatThrownBy(() -> LinuxNative.sockaddrUnix("/" + "x".repeat(120)))
                .hasMessageContaining("(expected 1-107 bytes)");
    }

    @Test
    void openingAMissingFileNamesThePathAndErrno() {
        assertThatThrownBy(() -> LinuxNative.get().openReadOnly("/nonexistent/lvsd"))
                .isInstanceOf(NativeException.class)
                .hasMessage("open(/nonexistent/lvsd): ENOENT (No such file or directory)");
    }
}
