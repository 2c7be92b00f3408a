package dev.vigil.contracts;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A typed configuration lookup: how every service builds its one immutable settings record
 * ({@link KafkaSettings}, and each service's own) from its configuration, Micronaut's
 * {@code Environment::getProperty} in the services (application.yml, then env vars such as
 * {@code VIGIL_SWEEPER_TICK_INTERVAL} for {@code vigil.sweeper.tick-interval}), a map in tests.
 * Each default is written once, where the record reads its key.
 */
@FunctionalInterface
public interface ConfigLookup {

    <T> Optional<T> get(String key, Class<T> type);

    /** Values already of the type asked for: for tests, benchmarks and the local stack. */
    static ConfigLookup of(Map<String, ?> values) {
        return new ConfigLookup() {
            @Override
            public <T> Optional<T> get(String key, Class<T> type) {
                return Optional.ofNullable(values.get(key)).filter(type::isInstance).map(type::cast);
            }
        };
    }

    default Duration duration(String key, Duration fallback) {
        return strictly(key, Duration.class).orElse(fallback);
    }

    default int integer(String key, int fallback) {
        return strictly(key, Integer.class).orElse(fallback);
    }

    default boolean flag(String key, boolean fallback) {
        return strictly(key, Boolean.class).orElse(fallback);
    }

    /**
     * The value at {@code key} as {@code type}; empty when unset or blank. A value that is set and cannot be read
     * as {@code type} ({@code 30days} for a duration) stops the service at start with the key named, instead of
     * starting it with the default.
     */
    default <T> Optional<T> strictly(String key, Class<T> type) {
        Optional<T> value = get(key, type);
        if (value.isEmpty()) {
            Optional<String> raw = get(key, String.class).filter(text -> !text.isBlank());
            if (raw.isPresent()) {
                throw new IllegalArgumentException(key + " is '" + raw.get() + "', which is not a "
                        + type.getSimpleName().toLowerCase(java.util.Locale.ROOT)
                        + (type == Duration.class ? " (write 30s, 5m, 6h, 1d or PT30S)" : ""));
            }
        }
        return value;
    }

    /** A secret, exactly as given (never trimmed: its bytes are a key); null when unset or blank. */
    default String secret(String key) {
        return get(key, String.class).filter(value -> !value.isBlank()).orElse(null);
    }

    /** The text at {@code key}, trimmed; {@code fallback} when it is unset or blank. */
    default String text(String key, String fallback) {
        return get(key, String.class).map(String::trim).filter(value -> !value.isEmpty()).orElse(fallback);
    }

    /** A comma-separated (or YAML) list, entries trimmed, blanks dropped. */
    default List<String> list(String key, List<String> fallback) {
        return get(key, String[].class).map(values -> Arrays.stream(values).map(String::trim)
                .filter(value -> !value.isEmpty()).toList()).orElse(fallback);
    }
}
