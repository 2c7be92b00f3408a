package dev.vigil.sweeper;

import io.micronaut.runtime.Micronaut;

/** Starts the sweeper-service. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Micronaut.run(Application.class, args);
    }
}
