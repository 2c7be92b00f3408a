package dev.vigil.run.lifecycle;

import java.sql.SQLException;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.MDC;

/** What every lifecycle change shares: the run's ids on its log lines, and reading a unique-index violation. */
final class RunContext {

    /** The partial unique index that allows one active run per workspace and key. */
    static final String ONE_ACTIVE_INDEX = "runs_one_active_per_key";

    private RunContext() {
    }

    static <T> T logged(UUID runId, String workspace, Supplier<T> work) {
        try (MDC.MDCCloseable r = MDC.putCloseable("runId", runId.toString());
             MDC.MDCCloseable w = MDC.putCloseable("workspace", workspace)) {
            return work.get();
        }
    }

    static boolean violatesOneActive(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())
                    && String.valueOf(sql.getMessage()).contains(ONE_ACTIVE_INDEX)) {
                return true;
            }
        }
        return false;
    }
}
