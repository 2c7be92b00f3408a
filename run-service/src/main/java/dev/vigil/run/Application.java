package dev.vigil.run;

import io.micronaut.runtime.Micronaut;

/** Starts the run-service. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Micronaut.run(Application.class, args);
    }
}
