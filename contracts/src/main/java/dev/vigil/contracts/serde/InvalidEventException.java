package dev.vigil.contracts.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record that is not a valid Vigil event: not JSON, an unknown type or version, a missing or
 * mistyped field, a value out of range, or too large. The message says which, in words.
 */
public class InvalidEventException extends SerializationException {

    public InvalidEventException(String message) {
        super(message);
    }

    public InvalidEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
