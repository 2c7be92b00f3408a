package dev.vigil.sweeper;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** {@code vigil.sweeper.*} in application.yml (env: {@code VIGIL_SWEEPER_*}). */
@ConfigurationProperties("vigil.sweeper")
public class SweeperSettings {

    private String applicationId = "vigil-sweeper";
    private String stateDir = System.getProperty("java.io.tmpdir") + "/vigil-sweeper";
    private int streamThreads = 1;
    /**
     * Warm copies of each task's state on other instances, so a task that moves (an instance dies,
     * leaves or joins) resumes from a caught-up copy instead of restoring its changelog first.
     */
    private int standbyReplicas = 1;
    private Duration commitInterval = Duration.ofMillis(50);
    /** How long to wait at start for a state directory another process still holds. */
    private Duration stateDirLockWait = Duration.ofSeconds(60);
    private Duration tickInterval = SweeperConfig.defaults().tickInterval();
    private Duration punctuateInterval = SweeperConfig.defaults().punctuateInterval();
    private Duration blackoutThreshold = SweeperConfig.defaults().blackoutThreshold();
    private Duration progressInterval = SweeperConfig.defaults().progressInterval();
    private Duration livenessInterval = SweeperConfig.defaults().livenessInterval();
    private Duration finishedRetention = SweeperConfig.defaults().finishedRetention();
    private Duration unknownRetention = SweeperConfig.defaults().unknownRetention();
    private Duration agentGrace = SweeperConfig.defaults().defaultAgentGrace();
    private Duration agentRetention = SweeperConfig.defaults().agentRetention();

    public SweeperConfig toConfig() {
        return new SweeperConfig(tickInterval, punctuateInterval, blackoutThreshold, progressInterval,
                livenessInterval, finishedRetention, unknownRetention, agentGrace, agentRetention,
                SweeperConfig.defaults().maxDuePerPunctuation(), null);
    }

    public String getApplicationId() {
        return applicationId;
    }

    public void setApplicationId(String applicationId) {
        this.applicationId = applicationId;
    }

    public String getStateDir() {
        return stateDir;
    }

    public void setStateDir(String stateDir) {
        this.stateDir = stateDir;
    }

    public int getStreamThreads() {
        return streamThreads;
    }

    public void setStreamThreads(int streamThreads) {
        this.streamThreads = streamThreads;
    }

    public int getStandbyReplicas() {
        return standbyReplicas;
    }

    public void setStandbyReplicas(int standbyReplicas) {
        this.standbyReplicas = standbyReplicas;
    }

    public Duration getStateDirLockWait() {
        return stateDirLockWait;
    }

    public void setStateDirLockWait(Duration stateDirLockWait) {
        this.stateDirLockWait = stateDirLockWait;
    }

    public Duration getCommitInterval() {
        return commitInterval;
    }

    public void setCommitInterval(Duration commitInterval) {
        this.commitInterval = commitInterval;
    }

    public Duration getTickInterval() {
        return tickInterval;
    }

    public void setTickInterval(Duration tickInterval) {
        this.tickInterval = tickInterval;
    }

    public Duration getPunctuateInterval() {
        return punctuateInterval;
    }

    public void setPunctuateInterval(Duration punctuateInterval) {
        this.punctuateInterval = punctuateInterval;
    }

    public Duration getBlackoutThreshold() {
        return blackoutThreshold;
    }

    public void setBlackoutThreshold(Duration blackoutThreshold) {
        this.blackoutThreshold = blackoutThreshold;
    }

    public Duration getProgressInterval() {
        return progressInterval;
    }

    public void setProgressInterval(Duration progressInterval) {
        this.progressInterval = progressInterval;
    }

    public Duration getLivenessInterval() {
        return livenessInterval;
    }

    public void setLivenessInterval(Duration livenessInterval) {
        this.livenessInterval = livenessInterval;
    }

    public Duration getFinishedRetention() {
        return finishedRetention;
    }

    public void setFinishedRetention(Duration finishedRetention) {
        this.finishedRetention = finishedRetention;
    }

    public Duration getUnknownRetention() {
        return unknownRetention;
    }

    public void setUnknownRetention(Duration unknownRetention) {
        this.unknownRetention = unknownRetention;
    }

    public Duration getAgentGrace() {
        return agentGrace;
    }

    public void setAgentGrace(Duration agentGrace) {
        this.agentGrace = agentGrace;
    }

    public Duration getAgentRetention() {
        return agentRetention;
    }

    public void setAgentRetention(Duration agentRetention) {
        this.agentRetention = agentRetention;
    }
}
