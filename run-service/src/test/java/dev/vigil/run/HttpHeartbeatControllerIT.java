package dev.vigil.run;

/** Every test of {@link HttpHeartbeatIT} with the Netty fast path off: the controller gives the same answers. */
class HttpHeartbeatControllerIT extends HttpHeartbeatIT {

    @Override
    boolean fastPath() {
        return false;
    }
}
