package dev.vigil.sweeper;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Every rule of {@link SweeperTopologyTest} again, with the input partitions delivered in a random
 * interleaving (each partition in its own order, as a consumer delivers them): whatever the order, the
 * same timeouts fire at the same due times, and none fires that the in-order run does not. A failure
 * prints its seed; {@code -Dsweeper.seed=N} replays it.
 */
@ExtendWith(InterleavedSweeperTopologyTest.PrintSeed.class)
class InterleavedSweeperTopologyTest extends SweeperTopologyTest {

    @Override
    protected SweeperHarness harness() {
        return new SweeperHarness().interleaved(Long.getLong("sweeper.seed", System.nanoTime()));
    }

    static final class PrintSeed implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            Long seed = ((SweeperTopologyTest) context.getRequiredTestInstance()).sweeper.seed();
            System.out.println(context.getDisplayName() + " failed with interleaving seed " + seed
                    + "; replay: -Dsweeper.seed=" + seed);
        }
    }
}
