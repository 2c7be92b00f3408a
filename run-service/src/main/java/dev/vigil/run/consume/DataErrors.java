package dev.vigil.run.consume;

import java.sql.SQLException;
import java.util.Optional;

/**
 * Tells a record's own fault from the database's trouble. A data exception (SQLSTATE class 22: a NUL
 * or an invalid byte sequence in text, a value too long, a number or timestamp out of range) or an
 * integrity constraint violation (class 23) will fail the same way on every retry: the record is
 * poison. Anything else — connection failures (08), serialization failures and deadlocks (40),
 * insufficient resources (53), shutdowns (57), timeouts, a schema the code does not match — is not the
 * record's fault and is retried.
 */
final class DataErrors {

    private DataErrors() {
    }

    /** The SQLException in {@code error}'s cause chain that says the data was refused, if there is one. */
    static Optional<SQLException> refusal(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SQLException sql && isDataError(sql.getSQLState())) {
                return Optional.of(sql);
            }
        }
        return Optional.empty();
    }

    static boolean isDataError(String sqlState) {
        return sqlState != null && (sqlState.startsWith("22") || sqlState.startsWith("23"));
    }
}
