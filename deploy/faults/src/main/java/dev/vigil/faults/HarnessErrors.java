package dev.vigil.faults;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the harness itself failed to do — a fault it could not play, a workload step that failed, poison
 * it could not send. Any of them means the counts describe another system than the one planned, so a
 * run with any is not clean, whatever its counts say.
 */
final class HarnessErrors {

    private static final Logger LOG = LoggerFactory.getLogger(HarnessErrors.class);
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());

    void add(String what, Exception cause) {
        errors.add(what + ": " + cause);
        LOG.warn("harness: {} failed: {}", what, cause.toString());
    }

    List<String> list() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }
}
