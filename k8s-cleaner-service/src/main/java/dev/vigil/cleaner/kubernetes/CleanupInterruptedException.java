package dev.vigil.cleaner.kubernetes;

/**
 * The thread was interrupted during a Kubernetes call or a retry wait: the service is stopping. The work in hand is
 * abandoned without an outcome and without committing, so it is done again after the restart.
 */
public final class CleanupInterruptedException extends RuntimeException {

    public CleanupInterruptedException(InterruptedException cause) {
        super("interrupted during a Kubernetes call or while waiting to retry it", cause);
    }
}
