package dev.vigil.cleaner.events;

/** Some of a finished run's resources could not be deleted: the reason its record is dead-lettered. */
public final class CleanupFailedException extends RuntimeException {

    public CleanupFailedException(String message) {
        super(message);
    }
}
