package dev.vigil.run.api;

import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.rules.SecurityRule;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** Agents of the caller's workspace: the credential their heartbeats carry. */
@Controller("/api/v1/agents")
@Secured(SecurityRule.IS_AUTHENTICATED)
@Tag(name = "agents")
public class AgentController {

    private final HeartbeatCredentials heartbeats;

    public AgentController(HeartbeatCredentials heartbeats) {
        this.heartbeats = heartbeats;
    }

    @Get("/credential")
    @Operation(summary = "The workspace's agent credential (operators only): agent heartbeats carry it as token")
    public AgentCredential credential(Authentication caller) {
        Callers.requireOperator(caller, "the agent credential");
        String workspace = Callers.workspace(caller);
        return new AgentCredential(workspace, heartbeats.forAgents(workspace));
    }

    /** What an agent of {@code workspace} sends as its heartbeats' {@code token}. */
    @Serdeable
    public record AgentCredential(String workspace, String credential) {
    }
}
