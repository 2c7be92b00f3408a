package dev.vigil.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A killed service restarts on its port only if no outgoing connection took it meanwhile: ports come
 * from below the kernel's ephemeral range (a restarted sweeper once found its port taken).
 */
class FreePortTest {

    @Test
    void portsAreBelowTheEphemeralRangeDistinctAndLeaveRoomForDerivedPorts() {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            int port = KafkaServerProcess.freePort();
            assertThat(port).isBetween(16_000, 29_999);
            assertThat((port / 1000) % 2).as("an even thousand: port + 1000 + i is never handed out").isZero();
            assertThat(ports.add(port)).as("never handed out twice").isTrue();
        }
    }
}
