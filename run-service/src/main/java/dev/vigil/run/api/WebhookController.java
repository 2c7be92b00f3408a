package dev.vigil.run.api;

import dev.vigil.contracts.event.Check;
import dev.vigil.run.store.RunRows;
import dev.vigil.run.webhook.AttemptRow;
import dev.vigil.run.webhook.DeliveryRow;
import dev.vigil.run.webhook.WebhookOutbox;
import dev.vigil.run.webhook.WebhookRepository;
import dev.vigil.run.webhook.WebhookRow;
import dev.vigil.run.webhook.WebhookSettings;
import dev.vigil.run.webhook.WebhookSignature;
import dev.vigil.run.webhook.WebhookTargets;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Patch;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.transaction.TransactionOperations;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A workspace's webhook subscriptions ({@code /api/v1/webhooks}), for operators of the workspace: another
 * workspace's subscriptions do not exist for the caller (404). The secret is shown once, when it is made (create,
 * rotate); a rotated-out secret keeps signing for {@value #PREVIOUS_SECRET_HOURS} hours beside the new one.
 */
@Controller("/api/v1/webhooks")
@Secured(SecurityRule.IS_AUTHENTICATED)
@Tag(name = "webhooks")
public class WebhookController {

    static final int PREVIOUS_SECRET_HOURS = 24;
    private static final int MAX_KEY_LENGTH = 256;

    private final WebhookRepository webhooks;
    private final WebhookSettings settings;
    private final TransactionOperations<Connection> tx;

    public WebhookController(WebhookRepository webhooks, WebhookSettings settings, TransactionOperations<Connection> tx) {
        this.webhooks = webhooks;
        this.settings = settings;
        this.tx = tx;
    }

    /** {@code POST /api/v1/webhooks}: {@code events} absent means every type; {@code key} filters by run key. */
    @Serdeable
    public record Subscribe(String url, @Nullable List<String> events, @Nullable String key, @Nullable Boolean enabled) {
    }

    /** {@code PATCH /api/v1/webhooks/{id}}: what it names changes; {@code key: ""} removes the filter. */
    @Serdeable
    public record Change(@Nullable String url, @Nullable List<String> events, @Nullable String key,
                         @Nullable Boolean enabled) {
    }

    /** A subscription; {@code secret} only in the answer that made it. {@code failingSince}: a delivery was given up. */
    @Serdeable
    public record Subscription(String id, String url, List<String> events, @Nullable String key, boolean enabled,
                               String status, @Nullable Instant failingSince, Instant createdAt, Instant updatedAt,
                               @Nullable String secret) {
    }

    @Serdeable
    public record Attempt(int attempt, Instant at, @Nullable Integer statusCode, @Nullable String error, int latencyMs) {
    }

    @Serdeable
    public record Delivery(long id, String messageId, String runId, String eventType, String status, int attempts,
                           Instant createdAt, @Nullable Instant nextAttemptAt, @Nullable Instant deliveredAt,
                           @Nullable Integer lastStatus, @Nullable String lastError, @Nullable Integer lastLatencyMs,
                           List<Attempt> log) {
    }

    @Serdeable
    public record Deliveries(List<Delivery> items, @Nullable Long nextBefore) {
    }

    @Serdeable
    public record Replayed(int deliveries) {
    }

    @Post
    @Operation(summary = "Subscribe a URL to the workspace's run events (operators); the answer carries the secret")
    public HttpResponse<Subscription> create(@Body Subscribe body, Authentication caller) {
        String workspace = operatorWorkspace(caller);
        String url = target(body.url());
        String events = events(body.events());
        String key = key(body.key());
        UUID id = UUID.randomUUID();
        String secret = WebhookSignature.newSecret();
        tx.executeWrite(status -> {
            if (webhooks.count(workspace) >= settings.maxPerWorkspace()) {
                throw ApiError.conflict("the workspace already has " + settings.maxPerWorkspace()
                        + " webhook subscriptions, the most it may hold");
            }
            webhooks.insert(id, workspace, url, events, key, body.enabled() == null || body.enabled(), secret,
                    RunRows.now());
            return null;
        });
        return HttpResponse.created(view(find(workspace, id), secret));
    }

    @Get
    @Operation(summary = "The workspace's webhook subscriptions (operators)")
    public List<Subscription> list(Authentication caller) {
        return webhooks.list(operatorWorkspace(caller)).stream().map(row -> view(row, null)).toList();
    }

    @Get("/{id}")
    @Operation(summary = "One subscription (operators)")
    public Subscription get(String id, Authentication caller) {
        return view(find(operatorWorkspace(caller), id(id)), null);
    }

    @Patch("/{id}")
    @Operation(summary = "Change a subscription's URL, events, key filter or enabled flag (operators)")
    public Subscription update(String id, @Body Change body, Authentication caller) {
        String workspace = operatorWorkspace(caller);
        WebhookRow row = find(workspace, id(id));
        String url = body.url() == null ? row.url() : target(body.url());
        String events = body.events() == null ? row.eventTypes() : events(body.events());
        String key = body.key() == null ? row.keyFilter() : body.key().isEmpty() ? null : key(body.key());
        boolean enabled = body.enabled() == null ? row.enabled() : body.enabled();
        webhooks.update(row.id(), workspace, url, events, key, enabled, RunRows.now());
        return view(find(workspace, row.id()), null);
    }

    @Post("/{id}/rotate")
    @Operation(summary = "A new secret (shown once); the previous one signs too for 24 hours (operators)")
    public Subscription rotate(String id, Authentication caller) {
        String workspace = operatorWorkspace(caller);
        WebhookRow row = find(workspace, id(id));
        String secret = WebhookSignature.newSecret();
        Instant now = RunRows.now();
        webhooks.rotate(row.id(), workspace, secret, now.plus(Duration.ofHours(PREVIOUS_SECRET_HOURS)), now);
        return view(find(workspace, row.id()), secret);
    }

    @Delete("/{id}")
    @Operation(summary = "Delete a subscription and its delivery log (operators)")
    public HttpResponse<Void> delete(String id, Authentication caller) {
        String workspace = operatorWorkspace(caller);
        if (webhooks.delete(find(workspace, id(id)).id(), workspace) == 0) {
            throw ApiError.notFound("no webhook subscription " + id);
        }
        return HttpResponse.noContent();
    }

    @Get("/{id}/deliveries")
    @Operation(summary = "The subscription's delivery log, newest first, with every attempt (operators); page with "
            + "before=<nextBefore>")
    public Deliveries deliveries(String id, @Nullable @QueryValue Long before, @Nullable @QueryValue Integer limit,
                                 Authentication caller) {
        WebhookRow row = find(operatorWorkspace(caller), id(id));
        int size = Requests.limit(limit);
        List<DeliveryRow> rows = webhooks.deliveries(row.id(), before == null ? Long.MAX_VALUE : before, size + 1);
        List<DeliveryRow> page = rows.stream().limit(size).toList();
        Map<Long, List<Attempt>> log = page.isEmpty() ? Map.of()
                : webhooks.attempts(page.stream().map(DeliveryRow::id).toList()).stream().collect(Collectors.groupingBy(
                        AttemptRow::deliveryId, Collectors.mapping(a -> new Attempt(a.attempt(), a.at(), a.statusCode(),
                                a.error(), a.latencyMs()), Collectors.toList())));
        return new Deliveries(page.stream().map(d -> new Delivery(d.id(), d.messageId(), d.runId().toString(),
                d.eventType(), d.status(), d.attempts(), d.createdAt(),
                d.status().equals("PENDING") ? d.nextAttemptAt() : null, d.deliveredAt(), d.lastStatus(), d.lastError(),
                d.lastLatencyMs(), log.getOrDefault(d.id(), List.of()))).toList(),
                rows.size() > size ? page.get(size - 1).id() : null);
    }

    @Post("/{id}/replay")
    @Operation(summary = "Deliver the subscription's failed deliveries again, now, in order (operators)")
    public Replayed replay(String id, Authentication caller) {
        String workspace = operatorWorkspace(caller);
        WebhookRow row = find(workspace, id(id));
        Instant now = RunRows.now();
        return tx.executeWrite(status -> {
            int replayed = webhooks.replay(row.id(), now, now.plus(settings.retryFor()));
            webhooks.healthy(row.id());
            return new Replayed(replayed);
        });
    }

    private static String operatorWorkspace(Authentication caller) {
        String workspace = Callers.workspace(caller);
        Callers.requireOperator(caller, "managing webhooks");
        return workspace;
    }

    private WebhookRow find(String workspace, UUID id) {
        return webhooks.find(id, workspace).orElseThrow(() -> ApiError.notFound("no webhook subscription " + id));
    }

    private static UUID id(String id) {
        try {
            return Requests.runId(id);
        } catch (RuntimeException e) {
            throw ApiError.notFound("no webhook subscription " + Check.shortened(id, 64, "…"));
        }
    }

    private String target(String url) {
        try {
            return WebhookTargets.check(url, settings.allowPrivateTargets()).toString();
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage());
        }
    }

    private static String events(List<String> events) {
        if (events == null) {
            return "*";
        }
        if (events.isEmpty()) {
            throw ApiError.badRequest("events must name at least one of " + WebhookOutbox.EVENT_TYPES
                    + ", or be left out for all");
        }
        LinkedHashSet<String> types = new LinkedHashSet<>();
        for (String type : events) {
            if (type == null || !WebhookOutbox.EVENT_TYPES.contains(type)) {
                throw ApiError.badRequest("unknown event type '" + Check.shortened(String.valueOf(type), 64, "…")
                        + "': expected some of " + WebhookOutbox.EVENT_TYPES);
            }
            types.add(type);
        }
        return String.join(",", types);
    }

    private static String key(String key) {
        if (key == null) {
            return null;
        }
        if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            throw ApiError.badRequest("key must be 1-" + MAX_KEY_LENGTH + " characters: the run key to filter on");
        }
        return Requests.text(key, "key");
    }

    private static Subscription view(WebhookRow row, String secret) {
        List<String> events = row.eventTypes().equals("*") ? WebhookOutbox.EVENT_TYPES
                : Arrays.asList(row.eventTypes().split(","));
        String status = !row.enabled() ? "disabled" : row.failingSince() != null ? "failing" : "ok";
        return new Subscription(row.id().toString(), row.url(), events, row.keyFilter(), row.enabled(), status,
                row.failingSince(), row.createdAt(), row.updatedAt(), secret);
    }
}
