package dev.vigil.cleaner.kubernetes;

import dev.vigil.cleaner.settings.RetryPolicy;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one Kubernetes API call under a {@link RetryPolicy}: conflicts (409), throttling (429),
 * server errors (5xx) and connection failures are retried with backoff; anything else (403, 400,
 * ...) fails at once, since asking again cannot help.
 */
public final class KubernetesRetry {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesRetry.class);

    /** Waits between tries; tests may pass a shorter one. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final RetryPolicy policy;
    private final Sleeper sleeper;

    public KubernetesRetry(RetryPolicy policy, Sleeper sleeper) {
        this.policy = policy;
        this.sleeper = sleeper;
    }

    public KubernetesRetry(RetryPolicy policy) {
        this(policy, duration -> Thread.sleep(duration.toMillis()));
    }

    /**
     * Calls {@code call} until it succeeds or the policy gives up.
     *
     * @param what the call, for the log ({@code delete Deployment agents/web})
     * @throws GaveUpException when the last try failed; its cause is that try's error
     * @throws CleanupInterruptedException when the thread is interrupted (the service is stopping)
     */
    public <T> T call(String what, Supplier<T> call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (KubernetesClientException e) {
                InterruptedException interrupted = interruptedCause(e);
                if (interrupted != null || Thread.currentThread().isInterrupted()) {
                    Thread.currentThread().interrupt();
                    throw new CleanupInterruptedException(interrupted != null ? interrupted : new InterruptedException());
                }
                if (!isRetryable(e) || attempt >= policy.attempts()) {
                    throw new GaveUpException(what, attempt, e);
                }
                Duration wait = policy.backoff(attempt);
                LOG.warn("{} failed (try {} of {}): {}; retrying in {} ms", what, attempt, policy.attempts(),
                        describe(e), wait.toMillis());
                pause(wait);
            }
        }
    }

    /** Whether a failure may go away by itself: 409, 429, 5xx or no answer at all. */
    public static boolean isRetryable(KubernetesClientException e) {
        int code = e.getCode();
        if (code == 409 || code == 429 || code >= 500) {
            return true;
        }
        return code <= 0 && hasIoCause(e);
    }

    /** The failure in a few words: HTTP code and message. */
    public static String describe(Throwable error) {
        if (error instanceof KubernetesClientException k && k.getCode() > 0) {
            String message = k.getStatus() != null && k.getStatus().getMessage() != null
                    ? k.getStatus().getMessage() : k.getMessage();
            return "HTTP " + k.getCode() + ": " + oneLine(message);
        }
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root == error ? String.valueOf(error.getMessage())
                : error.getMessage() + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        return oneLine(message);
    }

    private static InterruptedException interruptedCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InterruptedException interrupted) {
                return interrupted;
            }
        }
        return null;
    }

    private static boolean hasIoCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException && !(t instanceof InterruptedIOException)) {
                return true;
            }
        }
        return false;
    }

    private void pause(Duration wait) {
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CleanupInterruptedException(e);
        }
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").trim();
    }

    /** A call failed on its last try, or with an error that is not worth retrying. */
    public static final class GaveUpException extends RuntimeException {
        private final int tries;

        GaveUpException(String what, int tries, KubernetesClientException cause) {
            super(what + " failed after " + tries + (tries == 1 ? " try: " : " tries: ") + describe(cause), cause);
            this.tries = tries;
        }

        public int tries() {
            return tries;
        }
    }
}
