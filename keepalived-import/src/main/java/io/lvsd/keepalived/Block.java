package io.lvsd.keepalived;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The statements of one block, each taken at most once, so that what nothing took can be named. */
final class Block {
    final String context;
    private final List<Stmt> stmts;
    private final boolean[] taken;

    Block(String context, List<Stmt> stmts) {
        this.context = context;
        this.stmts = stmts;
        this.taken = new boolean[stmts.size()];
    }

    /** Every statement with one of the keywords, in order. */
    List<Stmt> all(String... keywords) {
        Set<String> k = Set.of(keywords);
        List<Stmt> out = new ArrayList<>();
        for (int i = 0; i < stmts.size(); i++) {
            if (!taken[i] && k.contains(stmts.get(i).keyword())) {
                taken[i] = true;
                out.add(stmts.get(i));
            }
        }
        return out;
    }

    /** The last statement with one of the keywords (keepalived lets a later one win), or {@code null}. */
    Stmt last(String... keywords) {
        List<Stmt> a = all(keywords);
        return a.isEmpty() ? null : a.get(a.size() - 1);
    }

    /** What nothing took. */
    List<Stmt> rest() {
        List<Stmt> out = new ArrayList<>();
        for (int i = 0; i < stmts.size(); i++) {
            if (!taken[i]) {
                taken[i] = true;
                out.add(stmts.get(i));
            }
        }
        return out;
    }
}
