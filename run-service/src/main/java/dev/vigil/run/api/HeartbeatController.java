package dev.vigil.run.api;

import dev.vigil.run.heartbeat.HeartbeatIntake;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.rules.SecurityRule;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.concurrent.CompletableFuture;

/**
 * Heartbeats over HTTP, for workers that do not speak Kafka: one {@code curl}. Authenticated by the attempt's
 * heartbeat token, not by a user's bearer token, and answered without a database read.
 */
@Controller("/api/v1/runs/{id}/heartbeats")
@Secured(SecurityRule.IS_ANONYMOUS)
@Tag(name = "heartbeats")
public class HeartbeatController {

    static final String RETRY_AFTER_SECONDS = "1";

    private final HeartbeatIntake intake;

    public HeartbeatController(HeartbeatIntake intake) {
        this.intake = intake;
    }

    /** The optional body of a beat: the attempt (else the token's) and progress. */
    @Serdeable
    public record Beat(@Nullable Integer attempt, @Nullable Long steps, @Nullable String message, @Nullable Long seq) {
    }

    /** A beat the broker has. */
    @Serdeable
    public record Accepted(String runId, int attempt) {
    }

    @Post
    @Operation(summary = "Heartbeat the run's attempt with its heartbeat token (Authorization: Bearer, or ?token=); "
            + "202 once the broker has it; 401 wrong token, 409 another attempt's, 429 too fast, 503 broker away")
    public CompletableFuture<HttpResponse<?>> beat(String id, @Nullable @Body Beat body,
                                                   @Nullable @Header(HttpHeaders.AUTHORIZATION) String authorization,
                                                   @Nullable @QueryValue String token, HttpRequest<?> request) {
        String runId = Requests.runId(id).toString();
        String credential = token != null ? token : bearer(authorization);
        Beat beat = body == null ? new Beat(null, null, null, null) : body;
        return intake.beat(runId, credential, beat.attempt(), beat.steps(), beat.message(), beat.seq())
                .thenApply(result -> switch (result.outcome()) {
                    case ACCEPTED -> HttpResponse.accepted().body(new Accepted(runId, result.attempt()));
                    case NO_TOKENS -> ProblemErrorResponseProcessor.respond(request, HttpStatus.NOT_FOUND, result.detail());
                    case UNAUTHORIZED -> ProblemErrorResponseProcessor.respond(request, HttpStatus.UNAUTHORIZED, result.detail())
                            .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
                    case WRONG_ATTEMPT -> ProblemErrorResponseProcessor.respond(request, HttpStatus.CONFLICT, result.detail());
                    case INVALID -> ProblemErrorResponseProcessor.respond(request, HttpStatus.BAD_REQUEST, result.detail());
                    case LIMITED -> ProblemErrorResponseProcessor.respond(request, HttpStatus.TOO_MANY_REQUESTS, result.detail())
                            .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
                    case UNAVAILABLE -> ProblemErrorResponseProcessor.respond(request, HttpStatus.SERVICE_UNAVAILABLE,
                            result.detail()).header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
                });
    }

    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String value = authorization.substring(7).trim();
        return value.isEmpty() ? null : value;
    }
}
