package dev.vigil.cleaner.events;

import dev.vigil.cleaner.kubernetes.ResourceCleaner;
import dev.vigil.cleaner.metrics.CleanerMetrics;
import dev.vigil.cleaner.runstate.RunState;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.CleanupTrigger;
import dev.vigil.contracts.event.RunFinished;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cleans up after one finished run attempt: finds where its resources are (the finish's cleanup
 * target, else the one its RunCreated gave, else the run's own labels — {@link Labels#ofRun} — in every
 * allowed namespace) and deletes them, refusing any namespace that is not on the allow-list. A target
 * that does not hold the run's own label and workspace label is refused by {@link ResourceCleaner}.
 */
public final class RunFinishedCleanup {

    private static final Logger LOG = LoggerFactory.getLogger(RunFinishedCleanup.class);

    private final CleanerSettings settings;
    private final ResourceCleaner cleaner;
    private final CleanerMetrics metrics;

    public RunFinishedCleanup(CleanerSettings settings, ResourceCleaner cleaner, CleanerMetrics metrics) {
        this.settings = settings;
        this.cleaner = cleaner;
        this.metrics = metrics;
    }

    /**
     * Deletes the resources of {@code finished}'s run; the caller has checked that this attempt is
     * still the run's newest and is terminal.
     *
     * @param state what the store knows of the run (for the target its RunCreated named), or null
     */
    public List<CleanupPerformed> cleanUp(RunFinished finished, RunState state) {
        List<CleanupPerformed> done = new ArrayList<>();
        for (CleanupTarget target : targets(finished, state)) {
            if (!settings.allows(target.namespace())) {
                LOG.warn("run {} attempt {} has resources in namespace {}, which is not on the allow-list {}: nothing deleted there",
                        finished.runId(), finished.attempt(), target.namespace(), settings.namespaces());
                metrics.refused(CleanerMetrics.Refusal.NAMESPACE_NOT_ALLOWED);
                continue;
            }
            done.addAll(cleaner.deleteLabelled(finished.runId(), finished.attempt(), finished.workspace(),
                    target.namespace(), target.labels(), CleanupTrigger.RUN_FINISHED, finished.occurredAt()));
        }
        return done;
    }

    private List<CleanupTarget> targets(RunFinished finished, RunState state) {
        if (finished.cleanup() != null) {
            return List.of(finished.cleanup());
        }
        if (state != null && state.attempt() == finished.attempt() && state.target() != null) {
            return List.of(state.target());
        }
        if (!CleanerSettings.isLabelValue(finished.runId())) {
            LOG.warn("run {} names no cleanup target and its id cannot be a label value: nothing to select by",
                    finished.runId());
            metrics.refused(CleanerMetrics.Refusal.RUN_ID_NOT_A_LABEL_VALUE);
            return List.of();
        }
        return settings.namespaces().stream().sorted()
                .map(namespace -> new CleanupTarget(namespace,
                        Labels.ofRun(settings.runLabelKey(), finished.runId(), finished.workspace())))
                .toList();
    }
}
