package dev.vigil.run.api;

import dev.vigil.run.heartbeat.HeartbeatIntake;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
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
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Heartbeats over HTTP, for workers that do not speak Kafka: one {@code curl}. Authenticated by the attempt's
 * heartbeat token (an agent's: its workspace's agent credential), not by a user's bearer token, and answered
 * without a database read.
 */
@Controller("/api/v1")
@Secured(SecurityRule.IS_ANONYMOUS)
@Tag(name = "heartbeats")
public class HeartbeatController {

    static final String RETRY_AFTER_SECONDS = "1";

    private final HeartbeatIntake intake;
    private final Counter served;

    public HeartbeatController(HeartbeatIntake intake, MeterRegistry registry) {
        this.intake = intake;
        this.served = served(registry, "micronaut");
    }

    /** {@code vigil.http.heartbeats.served{by}}: the run beats answered by this controller or by {@link FastHeartbeats}. */
    static Counter served(MeterRegistry registry, String by) {
        return registry.counter("vigil.http.heartbeats.served", "by", by);
    }

    /** The optional body of a beat: the attempt (else the token's) and progress. */
    @Serdeable
    public record Beat(@Nullable Integer attempt, @Nullable Long steps, @Nullable String message, @Nullable Long seq) {
    }

    /** A beat the broker has. */
    @Serdeable
    public record Accepted(String runId, int attempt) {
    }

    /** A run an agent hosts, with that run's heartbeat token. */
    @Serdeable
    public record HostedRun(String id, String token) {
    }

    /**
     * The optional body of an agent's beat: its process incarnation, its grace period (ISO-8601, else the sweeper's
     * default), and the runs it hosts, each beaten with its own token.
     */
    @Serdeable
    public record AgentBeat(@Nullable String instanceId, @Nullable String grace, @Nullable Long seq,
                            @Nullable List<HostedRun> runs) {
    }

    /** An agent beat the broker has, and what became of each run it named: ACCEPTED, UNAUTHORIZED, WRONG_ATTEMPT. */
    @Serdeable
    public record AgentAccepted(String agentId, String workspace, Map<String, String> runs) {
    }

    /** On the event loop, as the intake never blocks; the plain form of this route is {@link FastHeartbeats}'s. */
    @Post("/runs/{id}/heartbeats")
    @Operation(summary = "Heartbeat the run's attempt with its heartbeat token (Authorization: Bearer, or ?token=); "
            + "202 once the broker has it; 401 wrong token, 409 another attempt's, 429 too fast, 503 broker away")
    public CompletableFuture<HttpResponse<?>> beat(String id, @Nullable @Body Beat body,
                                                   @Nullable @Header(HttpHeaders.AUTHORIZATION) String authorization,
                                                   @Nullable @QueryValue String token, HttpRequest<?> request) {
        String runId = Requests.runId(id).toString();
        String credential = token != null ? token : bearer(authorization);
        Beat beat = body == null ? new Beat(null, null, null, null) : body;
        return intake.beat(runId, credential, beat.attempt(), beat.steps(), beat.message(), beat.seq())
                .thenApply(result -> {
                    served.increment();
                    return result.outcome() == HeartbeatIntake.Outcome.ACCEPTED
                            ? HttpResponse.accepted().body(new Accepted(runId, result.attempt()))
                            : refused(request, result.outcome(), result.detail());
                });
    }

    /** On the event loop, as a run's beat. */
    @Post("/agents/{agentId}/heartbeats")
    @Operation(summary = "Heartbeat an agent with its workspace's agent credential (Authorization: Bearer), and each run "
            + "it names with that run's token; 202 once the broker has them, with each run's outcome")
    public CompletableFuture<HttpResponse<?>> agentBeat(String agentId, @Nullable @Body AgentBeat body,
                                                        @Nullable @Header(HttpHeaders.AUTHORIZATION) String authorization,
                                                        HttpRequest<?> request) {
        AgentBeat beat = body == null ? new AgentBeat(null, null, null, null) : body;
        Duration grace;
        try {
            grace = beat.grace() == null ? null : Duration.parse(beat.grace());
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest("grace must be an ISO-8601 duration such as PT30S, was " + beat.grace());
        }
        List<HeartbeatIntake.HostedRun> runs = beat.runs() == null ? List.of() : beat.runs().stream()
                .map(run -> run == null ? null : new HeartbeatIntake.HostedRun(run.id(), run.token())).toList();
        return intake.agentBeat(agentId, bearer(authorization), beat.instanceId(), grace, beat.seq(), runs)
                .thenApply(result -> {
                    if (result.outcome() != HeartbeatIntake.Outcome.ACCEPTED) {
                        return refused(request, result.outcome(), result.detail());
                    }
                    Map<String, String> outcomes = new LinkedHashMap<>();
                    result.runs().forEach((id, outcome) -> outcomes.put(id, outcome.name()));
                    return HttpResponse.accepted().body(new AgentAccepted(agentId, result.workspace(), outcomes));
                });
    }

    private static HttpResponse<?> refused(HttpRequest<?> request, HeartbeatIntake.Outcome outcome, String detail) {
        Refusal refusal = Refusal.of(outcome);
        MutableHttpResponse<?> response = ProblemErrorResponseProcessor.respond(request, refusal.status(), detail);
        return refusal.header() == null ? response : response.header(refusal.header(), refusal.value());
    }

    /** How a beat that was not accepted is answered, on either path: its status and the one header it adds. */
    record Refusal(HttpStatus status, String header, String value) {
        static Refusal of(HeartbeatIntake.Outcome outcome) {
            return switch (outcome) {
                case NO_TOKENS -> new Refusal(HttpStatus.NOT_FOUND, null, null);
                case UNAUTHORIZED -> new Refusal(HttpStatus.UNAUTHORIZED, HttpHeaders.WWW_AUTHENTICATE, "Bearer");
                case WRONG_ATTEMPT -> new Refusal(HttpStatus.CONFLICT, null, null);
                case INVALID -> new Refusal(HttpStatus.BAD_REQUEST, null, null);
                case LIMITED -> new Refusal(HttpStatus.TOO_MANY_REQUESTS, HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
                case UNAVAILABLE, ACCEPTED -> new Refusal(HttpStatus.SERVICE_UNAVAILABLE, HttpHeaders.RETRY_AFTER,
                        RETRY_AFTER_SECONDS);
            };
        }
    }

    /** The token of an {@code Authorization: Bearer} header, or null. */
    static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String value = authorization.substring(7).trim();
        return value.isEmpty() ? null : value;
    }
}
