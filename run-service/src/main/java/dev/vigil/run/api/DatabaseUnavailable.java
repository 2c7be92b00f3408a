package dev.vigil.run.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.data.connection.exceptions.ConnectionException;
import io.micronaut.data.connection.jdbc.exceptions.CannotGetJdbcConnectionException;
import io.micronaut.data.exceptions.DataAccessException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request that meets a database it cannot reach (restarting, failing over, out of connections) is
 * answered {@code 503} with {@code Retry-After} and a problem body — the client should come back —
 * instead of a 500 that blames the request. Any other database error stays a 500.
 */
abstract class DatabaseUnavailable<E extends RuntimeException> implements ExceptionHandler<E, HttpResponse<?>> {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseUnavailable.class);
    static final String RETRY_AFTER_SECONDS = "2";

    @Override
    public HttpResponse<?> handle(HttpRequest request, E exception) {
        boolean unavailable = isUnavailable(exception);
        HttpStatus status = unavailable ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR;
        if (unavailable) {
            LOG.warn("{} {}: the database is unavailable ({}); answered 503", request.getMethod(), request.getPath(),
                    exception.toString());
        } else {
            LOG.error("{} {} failed on the database", request.getMethod(), request.getPath(), exception);
        }
        String detail = unavailable ? "the database is unavailable; retry in a few seconds" : "a database error";
        var response = ProblemErrorResponseProcessor.respond(request, status, detail);
        return unavailable ? response.header("Retry-After", RETRY_AFTER_SECONDS) : response;
    }

    /** Connection-level trouble anywhere in the cause chain: SQLSTATE 08 (connection), 57P (shutdown), a pool timeout. */
    static boolean isUnavailable(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof CannotGetJdbcConnectionException || cause instanceof ConnectionException
                    || cause instanceof SQLTransientConnectionException || cause instanceof java.net.ConnectException) {
                return true;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }

    @Singleton
    @Requires(classes = CannotGetJdbcConnectionException.class)
    static final class NoConnection extends DatabaseUnavailable<CannotGetJdbcConnectionException> {
    }

    @Singleton
    static final class ConnectionFailed extends DatabaseUnavailable<ConnectionException> {
    }

    @Singleton
    static final class DataAccessFailed extends DatabaseUnavailable<DataAccessException> {
    }
}
