package io.lvsd.keepalived;

/** A keepalived configuration that cannot be read: {@code file:line: what}. */
public final class KeepalivedSyntaxException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Source at;

    public KeepalivedSyntaxException(Source at, String message) {
        super(at + ": " + message);
        this.at = at;
    }

    /** Where reading stopped. */
    public Source at() {
        return at;
    }
}
