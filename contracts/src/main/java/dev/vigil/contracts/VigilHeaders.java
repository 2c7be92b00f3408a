package dev.vigil.contracts;

/** Names of the Kafka record headers Vigil reads and writes. */
public final class VigilHeaders {

    /** The event type (e.g. {@code Heartbeat}); also the JSON {@code type} field. */
    public static final String TYPE = "vigil-type";
    /**
     * Marks a watermark tick the sweeper writes to the topics it reads so stream time follows the
     * broker clock when no worker sends anything. Every other consumer skips such records.
     */
    public static final String WATERMARK = "vigil-watermark";

    /** Dead-letter headers: why the record was rejected and where it came from. */
    public static final String DLQ_REASON = "vigil-dlq-reason";
    public static final String DLQ_ERROR_CLASS = "vigil-dlq-error-class";
    public static final String DLQ_SOURCE_TOPIC = "vigil-dlq-source-topic";
    public static final String DLQ_SOURCE_PARTITION = "vigil-dlq-source-partition";
    public static final String DLQ_SOURCE_OFFSET = "vigil-dlq-source-offset";
    public static final String DLQ_CONSUMER = "vigil-dlq-consumer";
    public static final String DLQ_FAILED_AT = "vigil-dlq-failed-at";

    private VigilHeaders() {
    }
}
