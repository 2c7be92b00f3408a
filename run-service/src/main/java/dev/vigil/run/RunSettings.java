package dev.vigil.run;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** {@code vigil.runs.*}: default timeouts, their limits, and stop retries (env {@code VIGIL_RUNS_*}). */
@ConfigurationProperties("vigil.runs")
public class RunSettings {

    private Duration defaultHeartbeatTimeout = Duration.ofSeconds(30);
    private Duration defaultStartTimeout = Duration.ofMinutes(2);
    private Duration defaultStopTimeout = Duration.ofSeconds(45);
    private Duration defaultMaxDuration = Duration.ofHours(6);
    private Duration minTimeout = Duration.ofSeconds(1);
    private Duration maxTimeout = Duration.ofDays(1);
    private Duration maxMaxDuration = Duration.ofDays(30);
    private int maxStopAttempts = 3;
    private String runLabelKey = "session";

    public Duration getDefaultHeartbeatTimeout() {
        return defaultHeartbeatTimeout;
    }

    public void setDefaultHeartbeatTimeout(Duration value) {
        this.defaultHeartbeatTimeout = value;
    }

    public Duration getDefaultStartTimeout() {
        return defaultStartTimeout;
    }

    public void setDefaultStartTimeout(Duration value) {
        this.defaultStartTimeout = value;
    }

    public Duration getDefaultStopTimeout() {
        return defaultStopTimeout;
    }

    public void setDefaultStopTimeout(Duration value) {
        this.defaultStopTimeout = value;
    }

    public Duration getDefaultMaxDuration() {
        return defaultMaxDuration;
    }

    public void setDefaultMaxDuration(Duration value) {
        this.defaultMaxDuration = value;
    }

    public Duration getMinTimeout() {
        return minTimeout;
    }

    public void setMinTimeout(Duration value) {
        this.minTimeout = value;
    }

    public Duration getMaxTimeout() {
        return maxTimeout;
    }

    public void setMaxTimeout(Duration value) {
        this.maxTimeout = value;
    }

    public Duration getMaxMaxDuration() {
        return maxMaxDuration;
    }

    public void setMaxMaxDuration(Duration value) {
        this.maxMaxDuration = value;
    }

    public int getMaxStopAttempts() {
        return maxStopAttempts;
    }

    public void setMaxStopAttempts(int value) {
        this.maxStopAttempts = value;
    }

    public String getRunLabelKey() {
        return runLabelKey;
    }

    public void setRunLabelKey(String value) {
        this.runLabelKey = value;
    }
}
