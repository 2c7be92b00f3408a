package dev.vigil.run.webhook;

import dev.vigil.run.api.RunMapper;
import dev.vigil.run.api.RunViews;
import dev.vigil.run.store.RunRow;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.json.JsonMapper;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Tells a run's change to its workspace's webhook subscriptions: one delivery row per subscription that wants it,
 * written in the transaction of the change (so a change is told exactly when it commits, whatever crashes after),
 * delivered later by {@link WebhookDispatcher}. The payload is Standard Webhooks' {@code {type, timestamp, data}}
 * with the run as the API shows it right after the change.
 */
@Singleton
public class WebhookOutbox {

    /** The event types a subscription can ask for, each an audited action of a run (see {@link #typeOf}). */
    public static final List<String> EVENT_TYPES = List.of("run.created", "run.started", "run.stop_requested",
            "run.retried", "run.stuck", "run.deadline_approaching", "run.finished", "run.timed_out", "run.cleaned_up");

    private static final Map<String, String> TYPES = Map.of(
            "created", "run.created",
            "started", "run.started",
            "stop_requested", "run.stop_requested",
            "stop_resent", "run.stop_requested",
            "retried", "run.retried",
            "stalled", "run.stuck",
            "deadline_approaching", "run.deadline_approaching",
            "cleaned_up", "run.cleaned_up");

    private final WebhookRepository webhooks;
    private final JsonMapper json;
    private final WebhookSettings settings;

    public WebhookOutbox(WebhookRepository webhooks, JsonMapper json, WebhookSettings settings) {
        this.webhooks = webhooks;
        this.json = json;
        this.settings = settings;
    }

    /** What the change's payload says, under {@code data}. */
    @Serdeable
    public record Data(String action, int attempt, @Nullable String reason, @Nullable String detail, RunViews.Run run) {
    }

    @Serdeable
    public record Payload(String type, Instant timestamp, Data data) {
    }

    /** The webhook event type of an audited action: a terminal one is {@code run.timed_out} or {@code run.finished}. */
    public static String typeOf(String action, String statusAfter) {
        String type = TYPES.get(action);
        if (type != null) {
            return type;
        }
        return "TIMED_OUT".equals(statusAfter) ? "run.timed_out" : "run.finished";
    }

    /** Enqueues the change for every subscription that wants it; call inside the change's transaction. */
    public void tell(RunRow after, String action, @Nullable String reason, @Nullable String detail, Instant now) {
        tell(after, after.attempt(), action, reason, detail, now);
    }

    /** The same, for a change of attempt {@code attempt} (a cleanup may come after a retry). */
    public void tell(RunRow after, int attempt, String action, @Nullable String reason, @Nullable String detail,
                     Instant now) {
        String type = typeOf(action, after.status().name());
        String body;
        try {
            body = json.writeValueAsString(new Payload(type, now,
                    new Data(action, attempt, reason, detail, RunMapper.view(after))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        webhooks.enqueue("msg_" + UUID.randomUUID().toString().replace("-", ""), after.workspace(), after.id(),
                after.key(), type, body, now, now.plus(settings.retryFor()));
    }
}
