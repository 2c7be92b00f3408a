package dev.vigil.run.api;

import dev.vigil.run.lifecycle.RunLifecycle;
import dev.vigil.run.store.AuditRepository;
import dev.vigil.run.store.AuditRow;
import dev.vigil.run.webhook.WebhookOutbox;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.exceptions.HttpStatusException;
import io.micronaut.http.sse.Event;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Live streams of runs' changes as server-sent events, for a page that waits on a run (the chat message's "…"):
 * each change of the run — the same changes its timeline and webhooks tell — is an event named like the webhook
 * event type ({@code run.timed_out}), with the audit row's id as its {@code id}, so a client that reconnects with
 * {@code Last-Event-ID} gets exactly what it missed. Read from the database (the audit trail commits with the
 * change), polled every {@value #POLL_MILLIS} ms per stream; a comment every {@code vigil.streams.keep-alive} (15 s)
 * keeps proxies from closing a quiet stream. Scoped by the caller's workspace: another workspace's run is a 404.
 * Each poll is a short indexed query on the database pool the API uses, so a replica serves at most
 * {@code vigil.streams.max} (100) streams at once (more is a 503: try another replica, or later), and a stream ends
 * after {@code vigil.streams.max-age} (15 min): clients reconnect with Last-Event-ID and lose nothing.
 */
@Controller("/api/v1/runs")
@Secured(SecurityRule.IS_AUTHENTICATED)
@Tag(name = "runs")
public class RunStreamController {

    static final long POLL_MILLIS = 500;

    private final RunLifecycle runs;
    private final AuditRepository audit;
    private final Duration keepAlive;
    private final int max;
    private final Duration maxAge;
    private final AtomicInteger open = new AtomicInteger();

    public RunStreamController(RunLifecycle runs, AuditRepository audit,
                               @Value("${vigil.streams.keep-alive:15s}") Duration keepAlive,
                               @Value("${vigil.streams.max:100}") int max,
                               @Value("${vigil.streams.max-age:15m}") Duration maxAge) {
        this.runs = runs;
        this.audit = audit;
        this.keepAlive = keepAlive;
        this.max = max;
        this.maxAge = maxAge;
    }

    /** One change of a run, as a stream's event carries it. */
    @Serdeable
    public record Change(String type, String runId, String key, int attempt, String action, @Nullable String fromStatus,
                         @Nullable String toStatus, @Nullable String reason, @Nullable String detail, Instant at) {
    }

    @Get(value = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM)
    @Operation(summary = "The run's changes as server-sent events, from its creation (or after Last-Event-ID) on")
    public Publisher<Event<Object>> run(String id, @Nullable @Header("Last-Event-ID") String lastEventId,
                                        Authentication caller) {
        String workspace = Callers.workspace(caller);
        UUID runId = Requests.runId(id);
        String key = runs.get(workspace, runId).key(); // 404 before the stream starts
        return stream(after(lastEventId), from -> audit.changes(runId, from), key);
    }

    @Get(value = "/events", produces = MediaType.TEXT_EVENT_STREAM)
    @Operation(summary = "The changes of the workspace's runs of a key (every attempt, every run) as server-sent events")
    public Publisher<Event<Object>> key(@QueryValue String key, @Nullable @Header("Last-Event-ID") String lastEventId,
                                        Authentication caller) {
        String workspace = Callers.workspace(caller);
        Requests.text(key, "key");
        return stream(after(lastEventId), from -> audit.changesOfKey(workspace, key, from), key);
    }

    private Publisher<Event<Object>> stream(long after, LongFunction<List<AuditRow>> read, String key) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            throw new HttpStatusException(HttpStatus.SERVICE_UNAVAILABLE, "this replica serves " + max
                    + " live streams already; try again shortly (or another replica)");
        }
        AtomicLong last = new AtomicLong(after);
        Flux<Event<Object>> changes = Flux.interval(Duration.ZERO, Duration.ofMillis(POLL_MILLIS))
                .onBackpressureDrop()
                .concatMap(tick -> Mono.fromCallable(() -> read.apply(last.get())).subscribeOn(Schedulers.boundedElastic())
                        .flatMapMany(Flux::fromIterable), 1)
                .filter(row -> row.id() > last.get())
                .doOnNext(row -> last.set(row.id()))
                .map(row -> Event.<Object>of(change(row, key)).id(Long.toString(row.id()))
                        .name(WebhookOutbox.typeOf(row.action(), row.toStatus())));
        // Empty data: the codec writes the comment alone (": keep-alive"), which clients ignore by the SSE spec.
        Flux<Event<Object>> comments = Flux.interval(keepAlive).map(tick -> Event.<Object>of("").comment("keep-alive"));
        return Flux.merge(changes, comments).take(maxAge).doFinally(signal -> open.decrementAndGet());
    }

    private static Change change(AuditRow row, String key) {
        return new Change(WebhookOutbox.typeOf(row.action(), row.toStatus()), row.runId().toString(), key,
                row.attempt(), row.action(), row.fromStatus(), row.toStatus(), row.reason(), row.detail(), row.at());
    }

    /** The audit id a reconnecting client last saw (0: from the start); anything else is the start. */
    private static long after(String lastEventId) {
        try {
            return lastEventId == null ? 0 : Math.max(0, Long.parseLong(lastEventId.trim()));
        } catch (NumberFormatException notOurs) {
            return 0;
        }
    }
}
