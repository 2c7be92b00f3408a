package dev.vigil.run.lifecycle;

/**
 * A lifecycle change the run's state does not allow ({@link Why#CONFLICT}), or a run the workspace
 * does not have ({@link Why#NOT_FOUND}). The API answers 409 or 404 with the message as the problem's detail.
 */
public final class RunRefused extends RuntimeException {

    /** Why the change was refused. */
    public enum Why { NOT_FOUND, CONFLICT }

    private final Why why;

    private RunRefused(Why why, String detail) {
        super(detail, null, false, false);
        this.why = why;
    }

    public static RunRefused notFound(Object id) {
        return new RunRefused(Why.NOT_FOUND, "no run " + id);
    }

    public static RunRefused conflict(String detail) {
        return new RunRefused(Why.CONFLICT, detail);
    }

    public Why why() {
        return why;
    }
}
