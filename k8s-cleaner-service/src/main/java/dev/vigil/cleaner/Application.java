package dev.vigil.cleaner;

import io.micronaut.runtime.Micronaut;

/** Starts the k8s-cleaner-service. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Micronaut.run(Application.class, args);
    }
}
