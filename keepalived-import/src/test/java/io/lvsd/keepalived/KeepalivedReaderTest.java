package io.lvsd.keepalived;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeepalivedReaderTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private KeepalivedReader.Result read(String text) throws Exception {
        return KeepalivedReader.read(write("keepalived.conf", text), "lvs1");
    }

    /** Statements as "keyword arg arg {child; child}" for compact assertions. */
    private static String tree(List<Stmt> stmts) {
        return stmts.stream().map(s -> s.text() + (s.block() == null ? "" : " {" + tree(s.block()) + "}"))
                .collect(Collectors.joining("; "));
    }

    private String tree(String text) throws Exception {
        return tree(read(text).statements());
    }

    private KeepalivedSyntaxException error(String text) throws Exception {
        Path p = write("keepalived.conf", text);
        try {
            KeepalivedReader.read(p, "lvs1");
        } catch (KeepalivedSyntaxException e) {
            return e;
        }
        throw new AssertionError("expected a syntax error");
    }

    @Test
    void blocksAndWordsWithTheirLines() throws Exception {
        KeepalivedReader.Result r = read("global_defs {\n  router_id lvs1\n}\nvrrp_instance VI_1 {\n"
                + "  virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n");
        assertThat(tree(r.statements())).isEqualTo(
                "global_defs {router_id lvs1}; vrrp_instance VI_1 {virtual_ipaddress {10.0.0.1/24 dev eth0}}");
        Stmt vi = r.statements().get(1);
        assertThat(vi.at()).isEqualTo(new Source("keepalived.conf", 4));
        assertThat(vi.end()).isEqualTo(new Source("keepalived.conf", 8));
        assertThat(vi.block().get(0).block().get(0).at().line()).isEqualTo(6);
    }

    @Test
    void commentsStartWithHashOrBangAnywhereButInsideDoubleQuotes() throws Exception {
        assertThat(tree("! header\n# header\nrouter_id a # trailing\nrouter_id b ! bang\n"
                + "script \"/bin/x #1 !2\"\nname a\\#b\n")).isEqualTo(
                "router_id a; router_id b; script /bin/x #1 !2; name a#b");
    }

    @Test
    void quotesGroupWordsKeepSpacesAndUnderstandEscapes() throws Exception {
        assertThat(read("a abcd\" efg h jkl \"mnop\n").statements().get(0).args()).containsExactly("abcd efg h jkl mnop");
        assertThat(read("a abcd \"efg h jkl\" mnop\n").statements().get(0).args()).containsExactly("abcd", "efg h jkl", "mnop");
        assertThat(read("a 'single quoted' \"t\\tab\\x41\\101\\\\\"\n").statements().get(0).args())
                .containsExactly("single quoted", "t\tabAA\\");
    }

    @Test
    void bracesGluedToWordsOrOnTheNextLine() throws Exception {
        assertThat(tree("vrrp_instance VI_1{\n interface eth0}\nglobal_defs\n{\n router_id x\n}\n"
                + "track_script { chk_a chk_b }\n")).isEqualTo(
                "vrrp_instance VI_1 {interface eth0}; global_defs {router_id x}; track_script {chk_a chk_b}");
    }

    @Test
    void tabsTrailingSpacesCrlfNonAsciiAndNoFinalNewline() throws Exception {
        assertThat(tree("global_defs {\t\r\n\trouter_id\tx   \r\n# Größe ça\n}")).isEqualTo("global_defs {router_id x}");
        byte[] latin1 = "# caf\u00e9\nrouter_id y\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(dir.resolve("latin1.conf"), latin1);
        assertThat(tree(KeepalivedReader.read(dir.resolve("latin1.conf"), "x").statements())).isEqualTo("router_id y");
    }

    @Test
    void includeGlobsRelativeToTheIncludingFileInNameOrder() throws Exception {
        write("conf.d/b.conf", "include ../more/*.conf\nb 1\n");
        write("conf.d/a.conf", "a 1\n");
        write("more/c.conf", "c 1\n");
        KeepalivedReader.Result r = read("top 1\ninclude conf.d/*.conf\nend 1\n");
        assertThat(tree(r.statements())).isEqualTo("top 1; a 1; c 1; b 1; end 1");
        assertThat(r.files()).containsExactly("keepalived.conf", "conf.d/a.conf", "conf.d/b.conf", "more/c.conf");
        assertThat(r.statements().get(2).at()).isEqualTo(new Source("more/c.conf", 1));
    }

    @Test
    void includeOfBraceExpressionsAndQuotedNames() throws Exception {
        write("x.conf", "x 1\n");
        write("y.conf", "y 1\n");
        assertThat(tree("include {x,y}.conf\ninclude \"x.conf\"\n")).isEqualTo("x 1; y 1; x 1");
    }

    @Test
    void aMissingIncludeIsNamedAndKeepalivedsLeniencyKept() throws Exception {
        KeepalivedReader.Result r = read("include nothere.conf\nincluder alsonot.conf\nincludem none/*.conf\na 1\n");
        assertThat(tree(r.statements())).isEqualTo("a 1");
        assertThat(r.diagnostics()).extracting(Diagnostic::format).containsExactly(
                "keepalived.conf:1: warning: no file matches nothere.conf (keepalived ignores this include, and so does the import)",
                "keepalived.conf:2: todo: no file matches alsonot.conf (keepalived reports a configuration error for includer)",
                "keepalived.conf:3: warning: no file matches none/*.conf (keepalived accepts an empty wildcard match here)");
    }

    @Test
    void anIncludeLoopIsAnErrorAtTheIncludeLine() throws Exception {
        write("loop.conf", "a 1\ninclude keepalived.conf\n");
        KeepalivedSyntaxException e = error("include loop.conf\n");
        assertThat(e.getMessage()).isEqualTo("loop.conf:2: include of keepalived.conf loops back to itself");
    }

    @Test
    void definitionsAreSubstitutedAtUseAndRecursively() throws Exception {
        assertThat(tree("$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n"
                + "$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\n")).isEqualTo("10.2.0.100/32; 10.2.10.100/32");
        assertThat(tree("$P=240\npriority $P\nx $Pfoo $UNDEF\n$E=\ny a${E}b\n"))
                .isEqualTo("priority 240; x $Pfoo $UNDEF; y ab");
        // An undefined ${NAME} stays, and its braces split the line as keepalived splits it.
        assertThat(tree("x ${UNDEF} y\n")).isEqualTo("x $ {UNDEF}; y");
        assertThat(tree("a ${_HASH} ${_BANG} ${_INSTANCE}\n")).isEqualTo("a # ! lvs1");
        assertThat(read("a ${_PWD}\n").statements().get(0).arg(0)).isEqualTo(dir.toAbsolutePath().toString());
    }

    @Test
    void multiLineDefinitionsExpandToLines() throws Exception {
        String text = "$RS= \\\n  real_server 10.0.0.${N} 80 { \\\n    weight ${N} \\\n  }\n"
                + "virtual_server 10.0.0.1 80 {\n  $N=1\n  $RS\n  $N=2\n  $RS\n}\n";
        assertThat(tree(text)).isEqualTo(
                "virtual_server 10.0.0.1 80 {real_server 10.0.0.1 80 {weight 1}; real_server 10.0.0.2 80 {weight 2}}");
    }

    @Test
    void conditionalLinesFollowTheConfigId() throws Exception {
        String text = "@lvs1 router_id main\n@lvs2 router_id backup\n@^lvs1 x other\n@^lvs2 y notbackup\n"
                + "$IF=@lvs1\n$IF z yes\n";
        assertThat(tree(text)).isEqualTo("router_id main; y notbackup; z yes");
    }

    @Test
    void sequencesAndLists() throws Exception {
        assertThat(tree("~SEQ(S, 0, 3) ip 10.0.${S}.1\n")).isEqualTo("ip 10.0.0.1; ip 10.0.1.1; ip 10.0.2.1; ip 10.0.3.1");
        assertThat(tree("~SEQx(S, 0x90, 0x10, 0xc0) fe80::20:${S}:1\n"))
                .isEqualTo("fe80::20:90:1; fe80::20:a0:1; fe80::20:b0:1; fe80::20:c0:1");
        assertThat(tree("~SEQ(S, 3) a${S}\n~SEQ(T, 3, -1, 2) b${T}\n")).isEqualTo("a1; a2; a3; b3; b2");
        assertThat(tree("~LST({IP, IP1}, {10,1},{20,4}) 192.168.${IP}.${IP1}\n")).isEqualTo("192.168.10.1; 192.168.20.4");
        assertThat(tree("~LST(A, 1, 2) ~LST(B, 5, 6) x${A}${B}\n")).isEqualTo("x15; x16; x25; x26");
    }

    @Test
    void syntaxErrorsNameTheLine() throws Exception {
        assertThat(error("global_defs {\n  router_id a\n}\n}\n").getMessage())
                .isEqualTo("keepalived.conf:4: extra '}' (no block is open here)");
        assertThat(error("global_defs {\n  router_id a\nvrrp_instance X {\n}\n").getMessage())
                .isEqualTo("keepalived.conf:1: '{' is never closed (a '}' is missing)");
        assertThat(error("a 1\nscript \"/bin/x\n").getMessage()).isEqualTo("keepalived.conf:2: unterminated quote: \"/bin/x");
        assertThat(error("\n{ b }\n").getMessage()).isEqualTo("keepalived.conf:2: '{' without a keyword before it");
        assertThat(error("a {\n}\n{ b }\n").getMessage()).isEqualTo("keepalived.conf:3: '{' without a keyword before it");
        assertThat(error("~SEQ(X, 1, 0, 5) a\n").getMessage()).isEqualTo("keepalived.conf:1: ~SEQ(X, 1, 0, 5): a step of 0 never ends");
        assertThat(error("~SEQ(X, 1, 5 a\n").getMessage()).isEqualTo("keepalived.conf:1: '~SEQ' without a closing ')'");
    }

    @Test
    void hostileInputIsBounded() throws Exception {
        assertThat(error("~SEQ(X, 0, 2000000) a\n").getMessage())
                .isEqualTo("keepalived.conf:1: the configuration expands to more than 1000000 lines");
        assertThat(error("$A=$A x\na $A\n").getMessage()).startsWith("keepalived.conf:2: parameters expand deeper than 64");
        assertThat(error("a {\n".repeat(70)).getMessage()).isEqualTo("keepalived.conf:65: blocks nest deeper than 64");
        write("deep.conf", "include deep.conf\n");
        assertThatThrownBy(() -> KeepalivedReader.read(dir.resolve("deep.conf"), "x"))
                .hasMessage("deep.conf:1: include of deep.conf loops back to itself");
    }
}
