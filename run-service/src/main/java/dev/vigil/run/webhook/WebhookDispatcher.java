package dev.vigil.run.webhook;

import dev.vigil.contracts.event.Check;
import dev.vigil.run.RunMetrics;
import dev.vigil.run.store.RunRows;
import io.micronaut.context.annotation.Context;
import io.micronaut.transaction.TransactionOperations;
import jakarta.annotation.PreDestroy;
import java.net.URI;
import java.nio.ByteBuffer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Delivers webhooks from {@code webhook_deliveries}: claims due rows (the oldest pending one of each run and
 * subscription, so a run's events arrive in order; {@code SKIP LOCKED}, so replicas share the work), holds them
 * for longer than an attempt can take, and POSTs them with Standard Webhooks' headers. A 2xx delivers; anything else
 * — another status, a timeout, a refused target, a redirect (never followed) — is retried after a wait that doubles
 * from {@code first-retry} up to an hour, until the delivery's {@code retry-for} window closes: then it is FAILED,
 * its subscription marked failing, with one ERROR. A replica that dies holding a delivery loses it when the hold
 * ends, and another delivers it again with the same {@code webhook-id}: at least once. Delivered and failed
 * deliveries are kept in the log for {@link #KEEP_LOG}.
 */
@Context
public class WebhookDispatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);
    private static final int BATCH = 32;
    private static final Duration MAX_WAIT = Duration.ofHours(1);
    private static final Duration IDLE = Duration.ofMillis(200);
    /** How long delivered and failed deliveries stay in the log. */
    static final Duration KEEP_LOG = Duration.ofDays(7);
    private static final Duration FORGET_EVERY = Duration.ofMinutes(10);

    private final WebhookRepository webhooks;
    private final TransactionOperations<Connection> tx;
    private final WebhookSettings settings;
    private final RunMetrics metrics;
    private final HttpClient http;
    /** Resolves and checks targets: a slow name server holds one of these, never the dispatcher. */
    private final ExecutorService resolver = Executors.newFixedThreadPool(8, runnable -> {
        Thread thread = new Thread(runnable, "vigil-webhook-targets");
        thread.setDaemon(true);
        return thread;
    });
    private final Thread thread;
    private volatile boolean running = true;

    public WebhookDispatcher(WebhookRepository webhooks, TransactionOperations<Connection> tx, WebhookSettings settings,
                             RunMetrics metrics) {
        this.webhooks = webhooks;
        this.tx = tx;
        this.settings = settings;
        this.metrics = metrics;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.thread = new Thread(this::loop, "vigil-webhook-dispatcher");
        thread.setDaemon(true);
        if (settings.dispatch()) {
            thread.start();
        }
    }

    private void loop() {
        long forgotAt = 0;
        while (running) {
            int handled;
            try {
                if (System.nanoTime() - forgotAt > FORGET_EVERY.toNanos() || forgotAt == 0) {
                    forgotAt = System.nanoTime();
                    webhooks.forget(RunRows.now().minus(KEEP_LOG));
                }
                handled = dispatchOnce();
            } catch (RuntimeException e) {
                LOG.warn("webhook dispatch pass failed; retrying: {}", e.toString());
                handled = 0;
            }
            if (handled < BATCH) {
                try {
                    Thread.sleep(IDLE.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** One pass: claim, deliver concurrently, record. Returns how many deliveries it attempted. */
    int dispatchOnce() {
        Instant now = RunRows.now();
        List<DeliveryRow> due = tx.executeWrite(status -> {
            List<DeliveryRow> rows = webhooks.due(now, BATCH);
            if (!rows.isEmpty()) {
                // Held for longer than an attempt may take in all (resolution and answer, each bounded below).
                webhooks.lock(rows.stream().map(DeliveryRow::id).toList(), now.plus(attemptLimit().multipliedBy(2)),
                        now.plus(settings.retryFor()));
            }
            return rows;
        });
        if (due.isEmpty()) {
            return 0;
        }
        Map<UUID, WebhookRow> subscriptions = webhooks.findAll(due.stream().map(DeliveryRow::subscriptionId)
                .collect(Collectors.toSet())).stream().collect(Collectors.toMap(WebhookRow::id, Function.identity()));
        List<CompletableFuture<Void>> attempts = new ArrayList<>(due.size());
        for (DeliveryRow delivery : due) {
            attempts.add(attempt(delivery, subscriptions.get(delivery.subscriptionId())));
        }
        CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new)).join(); // each bounded by attemptLimit()
        return due.size();
    }

    /** The longest one attempt may take, its target's name resolution included: then it failed ("timed out"). */
    private Duration attemptLimit() {
        return settings.timeout().multipliedBy(2);
    }

    private CompletableFuture<Void> attempt(DeliveryRow delivery, WebhookRow subscription) {
        long started = System.nanoTime();
        int attempt = delivery.attempts() + 1;
        if (subscription == null) {
            return CompletableFuture.completedFuture(null); // deleted since it was claimed: its deliveries went with it
        }
        // The target is resolved and checked off the dispatcher thread (a slow name server holds only its attempt);
        // the answer counts once its status line is in (a body that never comes holds nothing); and the whole attempt
        // is bounded, so one tarpit of a receiver cannot stall the deliveries of other workspaces.
        return CompletableFuture.supplyAsync(() -> request(delivery, subscription), resolver)
                .thenCompose(request -> http.sendAsync(request, STATUS_ONLY))
                .orTimeout(attemptLimit().toMillis(), TimeUnit.MILLISECONDS)
                .handle((response, error) -> {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    String why = cause == null ? null : cause instanceof IllegalArgumentException refused
                            ? "not sent: " + refused.getMessage()
                            : cause instanceof TimeoutException ? "no answer within " + attemptLimit() : cause.toString();
                    recorded(delivery, attempt, response == null ? null : response.statusCode(), why, started);
                    return null;
                });
    }

    /** The signed request, or an {@link IllegalArgumentException} saying why it may not be sent. */
    private HttpRequest request(DeliveryRow delivery, WebhookRow subscription) {
        if (!subscription.enabled()) {
            throw new IllegalArgumentException("the subscription is disabled");
        }
        URI target = WebhookTargets.check(subscription.url(), settings.allowPrivateTargets());
        Instant sentAt = Instant.now();
        long timestamp = sentAt.getEpochSecond();
        boolean previousValid = subscription.previousSecret() != null && subscription.previousSecretUntil() != null
                && subscription.previousSecretUntil().isAfter(sentAt);
        return HttpRequest.newBuilder(target).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "Vigil-Webhooks/1")
                .header("webhook-id", delivery.messageId())
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", WebhookSignature.sign(delivery.messageId(), timestamp,
                        delivery.payload(), subscription.secret(), previousValid ? subscription.previousSecret() : null))
                .POST(HttpRequest.BodyPublishers.ofString(delivery.payload())).build();
    }

    /** The answer's status is all a delivery needs: the body is not read (cancelled at once), however it comes. */
    private static final HttpResponse.BodyHandler<Void> STATUS_ONLY = info -> new HttpResponse.BodySubscriber<>() {
        @Override
        public CompletionStage<Void> getBody() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.cancel();
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
        }

        @Override
        public void onError(Throwable throwable) {
        }

        @Override
        public void onComplete() {
        }
    };

    private void recorded(DeliveryRow delivery, int attempt, Integer statusCode, String error, long started) {
        try {
            record(delivery, attempt, statusCode, error, started);
        } catch (RuntimeException e) {
            // Not recorded (the database is away): the hold ends and the delivery is attempted again.
            LOG.warn("webhook delivery {} attempted but not recorded: {}", delivery.id(), e.toString());
        }
    }

    private void record(DeliveryRow delivery, int attempt, Integer statusCode, String error, long started) {
        int latency = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - started) / 1_000_000);
        Instant now = RunRows.now();
        boolean ok = statusCode != null && statusCode >= 200 && statusCode < 300;
        String why = ok ? null : error != null ? Check.shortened(error, 1_000, "…") : "answered " + statusCode;
        // The retry window opens at the first attempt (lock() stored it), not while the delivery waited its turn.
        Instant retryUntil = delivery.attempts() == 0 ? now.plus(settings.retryFor()) : delivery.retryUntil();
        boolean givenUp = !ok && now.isAfter(retryUntil);
        MDC.put("runId", delivery.runId().toString());
        try {
            tx.executeWrite(status -> {
                webhooks.attempted(delivery.id(), attempt, now, statusCode, why, latency);
                if (ok) {
                    webhooks.delivered(delivery.id(), statusCode, latency, now);
                    webhooks.healthy(delivery.subscriptionId());
                    webhooks.releaseFollowers(delivery.subscriptionId(), delivery.runId(), delivery.id(), now);
                } else if (givenUp) {
                    webhooks.failed(delivery.id(), "FAILED", now, statusCode, why, latency);
                    webhooks.failing(delivery.subscriptionId(), now);
                    webhooks.releaseFollowers(delivery.subscriptionId(), delivery.runId(), delivery.id(), now);
                } else {
                    Instant retryAt = now.plus(waitBefore(attempt + 1));
                    webhooks.failed(delivery.id(), "PENDING", retryAt, statusCode, why, latency);
                    webhooks.holdFollowers(delivery.subscriptionId(), delivery.runId(), delivery.id(), retryAt);
                }
                return null;
            });
        } finally {
            MDC.remove("runId");
        }
        metrics.webhookAttempt(ok ? "delivered" : givenUp ? "failed" : "retrying");
        if (givenUp) {
            LOG.error("webhook delivery {} ({} of run {}) to subscription {} given up after {} attempts: {}; the "
                    + "subscription is marked failing (replay it with POST /api/v1/webhooks/{}/replay)", delivery.id(),
                    delivery.eventType(), delivery.runId(), delivery.subscriptionId(), attempt, why,
                    delivery.subscriptionId());
        } else if (!ok) {
            LOG.debug("webhook delivery {} attempt {} failed: {}", delivery.id(), attempt, why);
        }
    }

    /** The wait before attempt {@code next}: {@code first-retry}, doubling, at most an hour. */
    Duration waitBefore(int next) {
        Duration wait = settings.firstRetry();
        for (int i = 2; i < next && wait.compareTo(MAX_WAIT) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
    }

    @PreDestroy
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        resolver.shutdownNow();
    }
}
