package dev.vigil.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.local.LocalStack;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The short profile of the fault suite: every fault once; every must-be-0 count must read 0, and the
 * harness must have done what it planned. {@code -Dfaults.seed=N} plays another schedule.
 */
class FaultSuiteIT {

    @Test
    void vigilLosesNothingFinalizesNothingFalselyOrTwiceWhileItsPartsDie() throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent().getParent();
        Report report;
        try (LocalStack stack = LocalStack.start(FaultSuite.stackOptions(Files.createTempDirectory("faults"), repo))) {
            report = new FaultSuite(FaultSuite.Profile.of("short", Long.getLong("faults.seed", 20261123L)), stack).run();
        }
        Files.writeString(Path.of("target/fault-suite.md"), report.table());
        System.out.println(report.table());
        assertThat(report.harnessErrors()).as("harness errors").isEmpty();
        assertThat(report.faults()).as("faults played").hasSize(report.faultsPlanned());
        assertThat(report.lost()).as("lost").isZero();
        assertThat(report.falseTimeouts()).as("false").isZero();
        assertThat(report.wrongOutcomes()).as("wrong outcomes").isZero();
        assertThat(report.doubles()).as("double").isZero();
        assertThat(report.duplicateTimeouts()).as("duplicate timeouts").isZero();
        assertThat(report.leaked()).as("leaked").isZero();
        assertThat(report.wronglyDeleted()).as("wrongly deleted").isZero();
        assertThat(report.crashTotal()).as("services that died on their own").isZero();
        assertThat(report.deadLetteredTotal()).as("dead-lettered").isGreaterThanOrEqualTo(report.deadLettersExpected());
        assertThat(report.hostileTenant()).as("hostile tenant").contains("unexpected=0");
        assertThat(report.webhooks().lost()).as("webhooks lost").isZero();
        assertThat(report.webhooks().badlySigned()).as("webhooks badly signed").isZero();
    }
}
