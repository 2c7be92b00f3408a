package dev.vigil.run.api;

import io.micronaut.http.HttpStatus;
import io.micronaut.http.exceptions.HttpStatusException;

/** Errors the API answers with; each renders as {@code application/problem+json} with its detail. */
public final class ApiError {

    private ApiError() {
    }

    public static HttpStatusException badRequest(String detail) {
        return new HttpStatusException(HttpStatus.BAD_REQUEST, detail);
    }

    public static HttpStatusException notFound(String detail) {
        return new HttpStatusException(HttpStatus.NOT_FOUND, detail);
    }

    public static HttpStatusException conflict(String detail) {
        return new HttpStatusException(HttpStatus.CONFLICT, detail);
    }
}
