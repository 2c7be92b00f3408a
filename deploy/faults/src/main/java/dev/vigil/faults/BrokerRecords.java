package dev.vigil.faults;

import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.infra.KafkaRecords;
import dev.vigil.local.LocalStack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The topics the verdict counts from, each read whole (to its end offsets) — a count from part of a topic
 * is a harness error, not a number — and the broker's evidence on whether a timeout was right.
 */
final class BrokerRecords {

    /** How long reading a whole topic may take before the count is declared a harness error. */
    private static final Duration READ_ALL = Duration.ofMinutes(5);

    private final LocalStack stack;
    private final HarnessErrors harness;
    private List<ConsumerRecord<String, RunTimedOut>> timeouts;
    /** Every heartbeat's broker append time and steps, by run id and attempt, in append order. */
    private Map<String, List<long[]>> beats;

    BrokerRecords(LocalStack stack, HarnessErrors harness) {
        this.stack = stack;
        this.harness = harness;
    }

    /** All of {@code topic}, never part of it: a count from a partial read is a harness error, not a number. */
    <V> List<ConsumerRecord<String, V>> all(String topic, Deserializer<V> values) {
        try {
            return KafkaRecords.readAll(stack.kafkaBootstrap(), topic, values, READ_ALL);
        } catch (RuntimeException e) {
            harness.add("reading " + topic + " for the verdict", e);
            return List.of();
        }
    }

    /**
     * Why a run that was planned to live timed out rightly, if it did: its worker's beats reached the broker
     * too late (a starved harness, not Vigil). Judged on the broker's append times: a start timeout is
     * right if no beat of the attempt was appended by its due time, a heartbeat timeout if none was
     * appended in the timeout before it, a progress stall if no beat appended in the progress timeout before it
     * carried steps that differ from the beat before it. Null if the timeout was false.
     */
    String lateWorker(String runId, int attempt, String reason) {
        RunTimedOut timeout = timeouts().stream().map(ConsumerRecord::value)
                .filter(t -> t != null && runId.equals(t.runId()) && t.attempt() == attempt
                        && t.reason().code().equals(reason))
                .findFirst().orElse(null);
        if (timeout == null) {
            return null;
        }
        long due = timeout.dueAt().toEpochMilli();
        List<long[]> beats = beats().getOrDefault(runId + "#" + attempt, List.of());
        boolean beatInTime = switch (timeout.reason()) {
            case START_TIMEOUT -> beats.stream().anyMatch(b -> b[0] <= due);
            case HEARTBEAT_TIMEOUT -> beats.stream().anyMatch(b -> b[0] <= due && b[0] > due - Workload.HEARTBEAT.toMillis());
            case PROGRESS_STALLED -> progressMovedWithin(beats, due - Workload.PROGRESS.toMillis(), due);
            default -> true;
        };
        return beatInTime ? null : "the worker's heartbeats of attempt " + attempt + " were not on the broker in "
                + "time for its " + timeout.reason().code() + " due " + timeout.dueAt() + " (the harness was late)";
    }

    private static boolean progressMovedWithin(List<long[]> beats, long after, long until) {
        long previous = Long.MIN_VALUE;
        for (long[] beat : beats) {
            if (beat[0] > after && beat[0] <= until && previous != Long.MIN_VALUE && beat[1] != previous) {
                return true;
            }
            previous = beat[1];
        }
        return false;
    }

    /** Every timeout the sweepers emitted (read once). */
    List<ConsumerRecord<String, RunTimedOut>> timeouts() {
        if (timeouts == null) {
            timeouts = all(stack.topics().timeouts().name(), lenient(stack.topics().timeouts().valueSerde().deserializer()));
        }
        return timeouts;
    }

    /** Broker append times and steps (-1 for none) of every heartbeat, by run id and attempt. */
    private Map<String, List<long[]>> beats() {
        if (beats == null) {
            beats = new HashMap<>();
            for (ConsumerRecord<String, Heartbeat> record : all(stack.topics().heartbeats().name(),
                    lenient(stack.topics().heartbeats().valueSerde().deserializer()))) {
                Heartbeat beat = record.value();
                if (beat != null) {
                    beats.computeIfAbsent(beat.runId() + "#" + beat.attempt(), k -> new ArrayList<>())
                            .add(new long[] {record.timestamp(), beat.steps() == null ? -1 : beat.steps()});
                }
            }
        }
        return beats;
    }

    /** Reads the counting topics past the poison the suite wrote into them itself. */
    static <T> Deserializer<T> lenient(Deserializer<T> strict) {
        return new Deserializer<>() {
            @Override
            public T deserialize(String topic, byte[] data) {
                try {
                    return strict.deserialize(topic, data);
                } catch (RuntimeException poison) {
                    return null;
                }
            }

            @Override
            public T deserialize(String topic, Headers headers, byte[] data) {
                try {
                    return strict.deserialize(topic, headers, data);
                } catch (RuntimeException poison) {
                    return null;
                }
            }
        };
    }
}
