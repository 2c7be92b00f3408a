package dev.vigil.run;

import dev.vigil.run.security.SigningKeyCheck;
import io.micronaut.context.env.Environment;
import io.micronaut.runtime.Micronaut;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;

/** Starts the run-service. */
@OpenAPIDefinition(
        info = @Info(title = "Vigil run-service", version = "1",
                description = "Runs: create, read, list, stop, finish. Bearer JWT with a 'workspace' claim."),
        security = @SecurityRequirement(name = "bearer"))
@SecurityScheme(name = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer", bearerFormat = "JWT")
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        new Micronaut() {
            @Override
            protected void handleStartupException(Environment environment, Throwable exception) {
                SigningKeyCheck.exitIfRefused(exception);
                super.handleStartupException(environment, exception);
            }
        }.classes(Application.class).args(args).start();
    }
}
