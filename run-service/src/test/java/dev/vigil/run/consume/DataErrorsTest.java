package dev.vigil.run.consume;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.data.exceptions.DataAccessException;
import io.micronaut.transaction.exceptions.TransactionSystemException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DataErrorsTest {

    @ParameterizedTest
    @ValueSource(strings = {"22021", "22001", "22003", "22008", "23505", "23503", "23514"})
    void dataExceptionsAndIntegrityViolationsAreTheRecordsFaultWhereverTheyAreWrapped(String sqlState) {
        SQLException refused = new SQLException("refused", sqlState);

        assertThat(DataErrors.refusal(new DataAccessException("write failed", refused))).contains(refused);
        assertThat(DataErrors.refusal(new TransactionSystemException("commit failed",
                new DataAccessException("write failed", refused)))).contains(refused);
    }

    @ParameterizedTest
    @ValueSource(strings = {"08006", "08001", "40001", "40P01", "53300", "57P01", "57014", "42P01", "XX000"})
    void outagesContentionAndEverythingElseAreNot(String sqlState) {
        assertThat(DataErrors.refusal(new DataAccessException("write failed", new SQLException("x", sqlState)))).isEmpty();
    }

    @Test
    void connectionFailuresWithoutAStateAreNot() {
        assertThat(DataErrors.refusal(new DataAccessException("no connection",
                new SQLTransientConnectionException("pool timed out", null, new ConnectException("refused"))))).isEmpty();
        assertThat(DataErrors.refusal(new IllegalStateException("no cause"))).isEmpty();
    }
}
