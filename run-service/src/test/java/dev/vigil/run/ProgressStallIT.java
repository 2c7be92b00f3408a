package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunDeadlineApproaching;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.StallAction;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Progress timeouts in run-service, on the real PostgreSQL and broker: the request's {@code timeouts.progress} and
 * {@code onStall} reach the sweeper in {@code RunCreated} and survive a retry; a {@code progress_stalled} timeout
 * finalizes a {@code fail} run and flags a {@code flag} run, which stays RUNNING and shows as stuck until its
 * progress moves; a stall that a later report already contradicts is ignored. And the deadline warning
 * ({@code timeouts.warnAt}): recorded once per live attempt, passed on to {@code vigil.run-events}.
 */
@ExtendWith(RealInfraExtension.class)
class ProgressStallIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunServiceHarness service;
    private static String acme;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "progress-it.", Map.of());
        acme = RunServiceHarness.token("alice", "acme", Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aFailRunThatStallsIsTimedOutWithItsLastProgressAndARetryKeepsItsProgressTimeout() throws Exception {
        String id = create("book-1", "\"progress\":\"PT10M\"");
        JsonNode created = run(id);
        assertThat(created.at("/timeouts/progress").asText()).isEqualTo("PT10M");
        assertThat(created.at("/timeouts/onStall").asText()).isEqualTo("fail");
        Instant t0 = recent();
        running(id, 1, t0);
        progress(id, 1, 3L, "chapter 3", t0.plusSeconds(1));

        stall(id, 1, t0.plusSeconds(2), t0.plusSeconds(1));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("TIMED_OUT"));
        JsonNode run = run(id);
        assertThat(run.get("reason").asText()).isEqualTo("progress_stalled");
        assertThat(run.get("error").asText()).contains("steps 3", "'chapter 3'", "unchanged since " + t0.plusSeconds(1));

        assertThat(service.call("POST", "/api/v1/runs/" + id + "/retry", acme, null).statusCode()).isEqualTo(200);
        List<RunEvent> events = service.valuesOf(service.topics.runEvents(), id, 3);
        assertThat(events).filteredOn(RunCreated.class::isInstance).map(e -> ((RunCreated) e).timeouts())
                .extracting(t -> t.progress(), t -> t.onStall())
                .containsOnly(org.assertj.core.groups.Tuple.tuple(Duration.ofMinutes(10), StallAction.FAIL));
    }

    @Test
    void aStallOfARunWhoseMessageIsAsLongAsAllowedIsStillFinalizedItsErrorQuotingTheStart() throws Exception {
        String id = create("book-long", "\"progress\":\"PT10M\"");
        Instant t0 = recent();
        running(id, 1, t0);
        String longest = "x".repeat(dev.vigil.contracts.event.Check.MAX_TEXT_LENGTH - 1) + "y";
        progress(id, 1, 1L, longest, t0.plusSeconds(1));

        stall(id, 1, t0.plusSeconds(2), t0.plusSeconds(1));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("TIMED_OUT"));
        String error = run(id).get("error").asText();
        assertThat(error).contains("x".repeat(200) + "…").doesNotContain("y")
                .hasSizeLessThanOrEqualTo(dev.vigil.contracts.event.Check.MAX_TEXT_LENGTH);
    }

    @Test
    void aFlaggedRunStaysRunningShowsAsStuckOnceAndIsClearedWhenItsProgressMoves() throws Exception {
        String id = create("chat-1", "\"progress\":\"PT10M\",\"onStall\":\"flag\"");
        Instant t0 = recent();
        running(id, 1, t0);
        progress(id, 1, 3L, "chapter 3", t0.plusSeconds(1));

        stall(id, 1, t0.plusSeconds(2), t0.plusSeconds(1));
        stall(id, 1, t0.plusSeconds(2), t0.plusSeconds(1)); // redelivered: flagged once
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !run(id).path("stuck").isMissingNode()
                && !run(id).path("stuck").isNull());
        JsonNode run = run(id);
        assertThat(run.get("status").asText()).isEqualTo("RUNNING");
        assertThat(run.at("/stuck/reason").asText()).isEqualTo("progress_stalled");
        assertThat(Instant.parse(run.at("/stuck/dueAt").asText())).isEqualTo(t0.plusSeconds(2));
        assertThat(JSON.readTree(service.call("GET", "/api/v1/runs/summary", acme, null).body()).at("/stuck/RUNNING")
                .asLong()).isGreaterThanOrEqualTo(1);
        assertThat(timeline(id)).filteredOn(e -> e.get("action").asText().equals("stalled")).hasSize(1);

        progress(id, 1, 4L, "chapter 4", t0.plusSeconds(3)); // it moved on
        JsonNode moved = run(id);
        assertThat(moved.path("stuck").isNull() || moved.path("stuck").isMissingNode()).as(moved.toString()).isTrue();
        assertThat(Instant.parse(moved.at("/progress/changedAt").asText())).isEqualTo(t0.plusSeconds(3));
        assertThat(moved.get("status").asText()).isEqualTo("RUNNING");
    }

    @Test
    void aStallThatALaterReportContradictsIsIgnored() throws Exception {
        String id = create("chat-2", "\"progress\":\"PT10M\",\"onStall\":\"flag\"");
        String marker = create("chat-2-marker", "\"progress\":\"PT10M\",\"onStall\":\"flag\"");
        Instant t0 = recent();
        running(id, 1, t0);
        running(marker, 1, t0);
        progress(id, 1, 3L, "chapter 3", t0.plusSeconds(1));
        progress(id, 1, 4L, "chapter 4", t0.plusSeconds(3)); // read before the stall due at 2 s

        stall(id, 1, t0.plusSeconds(2), t0.plusSeconds(1));
        stall(marker, 1, t0.plusSeconds(2), t0);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> run(marker).at("/stuck/reason").asText()
                .equals("progress_stalled"));
        JsonNode run = run(id);
        assertThat(run.path("stuck").isNull() || run.path("stuck").isMissingNode()).as(run.toString()).isTrue();
        assertThat(timeline(id)).noneMatch(e -> e.get("action").asText().equals("stalled"));
    }

    @Test
    void aDeadlineWarningIsRecordedOncePerLiveAttemptAndPassedOnToRunEvents() throws Exception {
        String id = create("warned-1", "\"maxDuration\":\"PT2H\",\"warnAt\":0.75");
        assertThat(run(id).at("/timeouts/warnAt").asDouble()).isEqualTo(0.75);
        assertThat(service.valuesOf(service.topics.runEvents(), id, 1)).first().isInstanceOfSatisfying(RunCreated.class,
                c -> assertThat(c.timeouts().warnAfter()).isEqualTo(Duration.ofMinutes(90)));
        Instant t0 = recent();
        running(id, 1, t0);

        Instant deadline = t0.plus(Duration.ofHours(2));
        Instant due = t0.plus(Duration.ofMinutes(90));
        warn(id, 2, deadline, due); // an attempt that does not exist yet: nothing
        warn(id, 1, deadline, due);
        warn(id, 1, deadline, due); // redelivered: recorded once
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> run(id).hasNonNull("deadlineWarnedAt"));
        assertThat(Instant.parse(run(id).get("deadlineWarnedAt").asText())).isEqualTo(due);
        assertThat(run(id).get("status").asText()).as("a warning, not a timeout").isEqualTo("RUNNING");
        List<RunEvent> events = service.valuesOf(service.topics.runEvents(), id, 3);
        assertThat(events).filteredOn(RunDeadlineApproaching.class::isInstance).singleElement()
                .isInstanceOfSatisfying(RunDeadlineApproaching.class, w -> {
                    assertThat(w.attempt()).isEqualTo(1);
                    assertThat(w.deadlineAt()).isEqualTo(deadline);
                    assertThat(w.dueAt()).isEqualTo(due);
                });
        assertThat(timeline(id)).filteredOn(e -> e.get("action").asText().equals("deadline_approaching")).hasSize(1);

        // A retry clears it: attempt 2 is warned on its own.
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.DEADLINE_EXCEEDED, deadline,
                deadline, null, true, null));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("TIMED_OUT"));
        warn(id, 1, deadline, due); // late, for a finished attempt: nothing
        JsonNode retried = JSON.readTree(service.call("POST", "/api/v1/runs/" + id + "/retry", acme, null).body());
        assertThat(retried.hasNonNull("deadlineWarnedAt")).as("cleared by the retry").isFalse();
        assertThat(retried.at("/timeouts/warnAt").asDouble()).as("kept by the retry").isEqualTo(0.75);
        warn(id, 2, deadline.plusSeconds(60), due.plusSeconds(60));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> run(id).hasNonNull("deadlineWarnedAt"));
        assertThat(timeline(id)).filteredOn(e -> e.get("action").asText().equals("deadline_approaching"))
                .extracting(e -> e.get("attempt").asInt()).containsExactly(1, 2);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "onStall without progress | \"onStall\":\"flag\"                      | timeouts.onStall needs timeouts.progress",
            "an unknown onStall       | \"progress\":\"PT10M\",\"onStall\":\"halt\" | onStall must be fail or flag",
            "a progress too short     | \"progress\":\"PT0.1S\"                   | timeouts.progress must be between",
            "a progress not ISO       | \"progress\":\"10 minutes\"               | timeouts.progress: '10 minutes' is not",
            "a warning at the end     | \"warnAt\":1                             | timeouts.warnAt must be above 0 and below 1",
            "a warning at the start   | \"warnAt\":0                             | timeouts.warnAt must be above 0 and below 1",
            "a warning not a number   | \"warnAt\":\"soon\"                       | Unable to coerce string to double"})
    void badProgressTimeoutsAreRefusedSayingWhy(String name, String timeouts, String detail) throws Exception {
        HttpResponse<String> response = service.call("POST", "/api/v1/runs", acme,
                "{\"key\":\"bad-" + name.hashCode() + "\",\"timeouts\":{" + timeouts + "}}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).get("detail").asText()).contains(detail);
    }

    /**
     * A start time a few seconds ago, in whole milliseconds (as stored): the heartbeats the tests report after it
     * stay within the default heartbeat timeout, so only the progress rule can make a run stuck.
     */
    private static Instant recent() {
        return Instant.now().minusSeconds(10).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }

    private static String create(String key, String timeouts) throws Exception {
        HttpResponse<String> response = service.call("POST", "/api/v1/runs", acme,
                "{\"key\":\"" + key + "\",\"timeouts\":{" + timeouts + "}}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }

    /** The run's first heartbeat at {@code at}; returns once it is RUNNING. */
    private static void running(String id, int attempt, Instant at) throws Exception {
        service.publish(service.topics.runActivity().name(), id, FirstHeartbeatReceived.of(id, attempt, null, at));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("RUNNING"));
    }

    /** Reports progress and returns once the run shows it (timeouts come on another topic, read by another consumer). */
    private static void progress(String id, int attempt, Long steps, String message, Instant at) throws Exception {
        service.publish(service.topics.runActivity().name(), id, ProgressReported.of(id, attempt, steps, message, 10, at));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> run(id).at("/progress/steps").asLong() == steps);
    }

    private static void stall(String id, int attempt, Instant dueAt, Instant changedAt) throws Exception {
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, attempt, Reason.PROGRESS_STALLED, dueAt,
                dueAt.minusSeconds(5), null, true, null, changedAt));
    }

    private static void warn(String id, int attempt, Instant deadlineAt, Instant dueAt) throws Exception {
        service.publish(service.topics.runActivity().name(), id, RunDeadlineApproaching.of(id, attempt, deadlineAt, dueAt));
    }

    private static String status(String id) throws Exception {
        return service.status(acme, id);
    }

    private static JsonNode run(String id) throws Exception {
        return JSON.readTree(service.call("GET", "/api/v1/runs/" + id, acme, null).body());
    }

    private static List<JsonNode> timeline(String id) throws Exception {
        List<JsonNode> entries = new java.util.ArrayList<>();
        JSON.readTree(service.call("GET", "/api/v1/runs/" + id + "/timeline", acme, null).body()).get("entries")
                .forEach(entries::add);
        return entries;
    }
}
