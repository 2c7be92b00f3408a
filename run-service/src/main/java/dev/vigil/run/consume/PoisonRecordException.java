package dev.vigil.run.consume;

import java.sql.SQLException;

/** The database refused a record's data ({@link DataErrors}): retrying cannot help, so it is dead-lettered. */
final class PoisonRecordException extends RuntimeException {

    private final String sqlState;

    PoisonRecordException(SQLException refusal) {
        super("the database refused the record (SQLSTATE " + refusal.getSQLState() + "): " + firstLine(refusal), refusal);
        this.sqlState = refusal.getSQLState();
    }

    String sqlState() {
        return sqlState;
    }

    private static String firstLine(SQLException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
    }
}
