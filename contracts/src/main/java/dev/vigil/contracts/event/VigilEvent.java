package dev.vigil.contracts.event;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;

/**
 * Every record Vigil writes to Kafka. Each has a unique {@code eventId}, a {@code type} (the record's
 * simple name, written as the JSON {@code type} field and the {@code vigil-type} header), the instant
 * it occurred at and a schema {@code version}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.SIMPLE_NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(Heartbeat.class),
        @JsonSubTypes.Type(AgentHeartbeat.class),
        @JsonSubTypes.Type(RunCreated.class),
        @JsonSubTypes.Type(RunStarted.class),
        @JsonSubTypes.Type(RunStopRequested.class),
        @JsonSubTypes.Type(RunFinished.class),
        @JsonSubTypes.Type(FirstHeartbeatReceived.class),
        @JsonSubTypes.Type(ProgressReported.class),
        @JsonSubTypes.Type(RunDeadlineApproaching.class),
        @JsonSubTypes.Type(RunTimedOut.class),
        @JsonSubTypes.Type(StopRun.class),
        @JsonSubTypes.Type(CleanupPerformed.class)})
public sealed interface VigilEvent
        permits AgentHeartbeat, RunScoped {

    /** The schema version this build writes and reads. */
    int VERSION = 1;

    /** A unique id; consumers dedupe on it. */
    String eventId();

    /** When the event happened, on the producer's clock (detection uses the broker's clock instead). */
    Instant occurredAt();

    /** The schema version of this record. */
    int version();

    /** The Kafka record key: the run id, or the agent id for agent heartbeats. */
    @JsonIgnore
    String partitionKey();

    /** The event type: the record's simple name. */
    @JsonIgnore
    default String type() {
        return getClass().getSimpleName();
    }
}
