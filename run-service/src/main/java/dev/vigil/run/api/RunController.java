package dev.vigil.run.api;

import dev.vigil.run.RunOverview;
import dev.vigil.run.RunSettings;
import dev.vigil.run.lifecycle.RunLifecycle;
import dev.vigil.run.store.RunRow;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.server.util.HttpHostResolver;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;

/**
 * The run API. Every call is scoped to the workspace named by the caller's token: another
 * workspace's runs do not exist for it (404, never 403).
 */
@Controller("/api/v1/runs")
@Secured(SecurityRule.IS_AUTHENTICATED)
@Tag(name = "runs")
public class RunController {

    private final RunLifecycle runs;
    private final RunOverview overview;
    private final HeartbeatCredentials heartbeats;
    private final RunSettings settings;

    private final HttpHostResolver hosts;

    public RunController(RunLifecycle runs, RunOverview overview, HeartbeatCredentials heartbeats, RunSettings settings,
                         HttpHostResolver hosts) {
        this.runs = runs;
        this.overview = overview;
        this.heartbeats = heartbeats;
        this.settings = settings;
        this.hosts = hosts;
    }

    @Post
    @Operation(summary = "Create a run (PENDING); 409 names the active run if the key already has one")
    public HttpResponse<RunViews.Run> create(@Body RunViews.CreateRun body, Authentication caller, HttpRequest<?> request) {
        String workspace = Callers.workspace(caller);
        RunRow run = runs.create(workspace, Callers.actor(caller), Requests.create(body, workspace, settings));
        return HttpResponse.created(heartbeats.withHeartbeat(run, hosts.resolve(request)),
                URI.create("/api/v1/runs/" + run.id()));
    }

    @Get("/{id}")
    @Operation(summary = "Read one run (with its current attempt's heartbeat token)")
    public RunViews.Run get(String id, Authentication caller, HttpRequest<?> request) {
        return heartbeats.withHeartbeat(runs.get(Callers.workspace(caller), Requests.runId(id)), hosts.resolve(request));
    }

    @Get
    @Operation(summary = "List runs newest first; filter by key and status, stuck=true for stuck runs only; "
            + "page with cursor")
    public RunViews.Page list(@Nullable @QueryValue String key, @Nullable @QueryValue String status,
                              @Nullable @QueryValue Integer limit, @Nullable @QueryValue String cursor,
                              @Nullable @QueryValue Boolean stuck, Authentication caller) {
        int size = Requests.limit(limit);
        Cursor from = Cursor.decode(cursor);
        List<RunRow> rows = overview.page(Callers.workspace(caller), Requests.text(key, "key"), Requests.status(status),
                from.beforeCreatedAt(), from.beforeId(), Boolean.TRUE.equals(stuck), size + 1);
        String next = rows.size() > size ? Cursor.after(rows.get(size - 1)) : null;
        return new RunViews.Page(rows.stream().limit(size).map(RunMapper::view).toList(), next);
    }

    @Get("/summary")
    @Operation(summary = "The caller's workspace: runs by status, and stuck runs (active past their current timeout)")
    public RunViews.Summary summary(Authentication caller) {
        String workspace = Callers.workspace(caller);
        return RunMapper.summary(workspace, overview.summary(workspace));
    }

    @Get("/{id}/timeline")
    @Operation(summary = "The run now and its history, oldest first: audited transitions, cleaned-up Kubernetes "
            + "resources, latest progress")
    public RunViews.Timeline timeline(String id, Authentication caller) {
        return RunMapper.timeline(overview.history(Callers.workspace(caller), Requests.runId(id)));
    }

    @Post("/{id}/stop")
    @Operation(summary = "Request a stop: TERMINATING, and a StopRun command to the agent; "
            + "force=true (operators only) aborts at once as user_force; attempt=N stops attempt N only "
            + "(409 if it is not the current one)")
    public HttpResponse<RunViews.Run> stop(String id, @Nullable @QueryValue Boolean force,
                                           @Nullable @QueryValue Integer attempt, Authentication caller) {
        var runId = Requests.runId(id);
        if (Boolean.TRUE.equals(force)) {
            Callers.requireOperator(caller, "force stop");
            return HttpResponse.ok(RunMapper.view(runs.forceStop(Callers.workspace(caller), Callers.actor(caller), runId, attempt)));
        }
        return HttpResponse.accepted().body(RunMapper.view(runs.stop(Callers.workspace(caller), Callers.actor(caller), runId, attempt)));
    }

    @Post("/{id}/retry")
    @Operation(summary = "Start the next attempt of a failed, aborted or timed-out run (PENDING, timeouts re-armed, "
            + "any the body's timeouts name replaced; a new heartbeat token: the old attempt's no longer keeps "
            + "anything alive)")
    public RunViews.Run retry(String id, @Nullable @Body RunViews.Retry body, Authentication caller,
                              HttpRequest<?> request) {
        RunViews.Timeouts requested = body == null ? null : body.timeouts();
        return heartbeats.withHeartbeat(runs.retry(Callers.workspace(caller), Callers.actor(caller), Requests.runId(id),
                current -> Requests.timeouts(requested, current, settings)), hosts.resolve(request));
    }

    @Post("/{id}/finish")
    @Operation(summary = "Finish the run's attempt (at most once); a repeated or racing finish returns the current "
            + "state, a finish of an older attempt is a 409")
    public RunViews.Run finish(String id, @Body RunViews.Finish body, Authentication caller) {
        Requests.finish(body);
        return RunMapper.view(runs.finish(Callers.workspace(caller), Callers.actor(caller), Requests.runId(id),
                body.attempt(), body.outcome(), body.error()));
    }
}
