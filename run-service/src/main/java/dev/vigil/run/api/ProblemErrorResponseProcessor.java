package dev.vigil.run.api;

import io.micronaut.context.annotation.Primary;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.Error;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.inject.Singleton;
import java.util.stream.Collectors;

/**
 * Renders every error the server answers — ours, validation, body parsing, routing, security — as
 * RFC 9457 {@code application/problem+json} with a {@code detail} a person can act on.
 */
@Singleton
@Primary
public class ProblemErrorResponseProcessor implements ErrorResponseProcessor<ProblemErrorResponseProcessor.Problem> {

    /** The problem body. */
    @Serdeable
    public record Problem(String type, String title, int status, String detail, String instance) {
    }

    /** A problem response for an error a handler of ours answers directly. */
    static MutableHttpResponse<Problem> respond(HttpRequest<?> request, HttpStatus status, String detail) {
        return HttpResponse.<Problem>status(status).contentType(MediaType.APPLICATION_JSON_PROBLEM_TYPE)
                .body(new Problem("about:blank", status.getReason(), status.getCode(), detail, request.getPath()));
    }

    @Override
    public MutableHttpResponse<Problem> processResponse(ErrorContext context, MutableHttpResponse<?> response) {
        if (context.getRequest().getMethod() == HttpMethod.HEAD) {
            return response.contentType(MediaType.APPLICATION_JSON_PROBLEM_TYPE).body(null);
        }
        String detail = context.getErrors().stream()
                .map(ProblemErrorResponseProcessor::describe)
                .collect(Collectors.joining("; "));
        if (detail.isBlank()) {
            detail = response.reason();
        }
        Problem problem = new Problem("about:blank", response.reason(), response.code(), detail,
                context.getRequest().getPath());
        return response.contentType(MediaType.APPLICATION_JSON_PROBLEM_TYPE).body(problem);
    }

    private static String describe(Error error) {
        return error.getPath().map(path -> path + ": " + error.getMessage()).orElse(error.getMessage());
    }
}
