package dev.vigil.run.webhook;

import dev.vigil.contracts.ConfigLookup;
import java.time.Duration;

/**
 * How run-service delivers webhooks ({@code vigil.webhooks.*}).
 *
 * @param allowPrivateTargets whether a subscription may point at a loopback, private or link-local address (the local
 *        stack's receivers); off in production, where such a URL would let a tenant reach the cluster's insides
 * @param firstRetry the wait before a failed delivery's second attempt; each later wait doubles, up to an hour
 * @param retryFor how long a delivery is retried before it is given up on and its subscription marked failing
 * @param timeout how long one attempt may take, connection included
 * @param dispatch whether this replica delivers (every replica may: they share the work through the database)
 * @param maxPerWorkspace how many subscriptions one workspace may hold
 */
public record WebhookSettings(boolean allowPrivateTargets, Duration firstRetry, Duration retryFor, Duration timeout,
                              boolean dispatch, int maxPerWorkspace) {

    public static WebhookSettings from(ConfigLookup config) {
        return new WebhookSettings(
                config.flag("vigil.webhooks.allow-private-targets", false),
                config.duration("vigil.webhooks.first-retry", Duration.ofSeconds(5)),
                config.duration("vigil.webhooks.retry-for", Duration.ofHours(24)),
                config.duration("vigil.webhooks.timeout", Duration.ofSeconds(10)),
                config.flag("vigil.webhooks.dispatch", true),
                config.integer("vigil.webhooks.max-per-workspace", 20));
    }
}
