package dev.vigil.contracts.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BrokerWaitTest {

    @Test
    void retriesAFailingStepUntilItSucceeds() {
        AtomicInteger calls = new AtomicInteger();
        String result = BrokerWait.until("answer", Duration.ofSeconds(30), () -> {
            if (calls.incrementAndGet() < 3) {
                throw new IllegalStateException("broker down");
            }
            return "up";
        });
        assertThat(result).isEqualTo("up");
        assertThat(calls).hasValue(3);
    }

    @Test
    void givesUpWithTheLastFailureOnceTheWaitIsOver() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> BrokerWait.until("answer", Duration.ofMillis(100), () -> {
            throw new IllegalStateException("still down " + calls.incrementAndGet());
        })).hasMessage("still down 2");
    }
}
