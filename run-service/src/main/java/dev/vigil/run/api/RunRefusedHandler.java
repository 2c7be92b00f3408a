package dev.vigil.run.api;

import dev.vigil.run.lifecycle.RunRefused;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;

/** A lifecycle refusal as the API answers it: 404 or 409 with a problem body whose detail is the reason. */
@Singleton
final class RunRefusedHandler implements ExceptionHandler<RunRefused, HttpResponse<?>> {

    @Override
    public HttpResponse<?> handle(HttpRequest request, RunRefused refused) {
        HttpStatus status = refused.why() == RunRefused.Why.NOT_FOUND ? HttpStatus.NOT_FOUND : HttpStatus.CONFLICT;
        return ProblemErrorResponseProcessor.respond(request, status, refused.getMessage());
    }
}
