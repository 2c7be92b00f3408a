package dev.vigil.run.api;

import dev.vigil.run.heartbeat.HeartbeatIntake;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.server.netty.NettyServerCustomizer;
import io.micronaut.http.server.netty.configuration.NettyHttpServerConfiguration;
import io.micronaut.json.JsonMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /api/v1/runs/{id}/heartbeats} answered by a Netty handler in front of Micronaut's: the beat is the one
 * request a fleet sends many times a second, and Micronaut's routing, filters and binding cost several times what
 * checking its token and appending it do (the benchmark's profile). It serves only the plain form — HTTP/1.1, a
 * canonical run id, at most a {@code ?token=} query, no {@code Expect}, an absent or JSON body that parses — and
 * answers exactly as {@link HeartbeatController} would (same {@link HeartbeatIntake}, same problem bodies). Anything
 * else, and any request on a connection while Micronaut still owes it an answer, goes to Micronaut untouched, so the
 * controller stays the reference and HTTP/1.1's response order holds ({@link FastHeartbeatHandler}).
 *
 * <p>{@code vigil.heartbeats.fast-path: false} switches it off (every beat through the controller).
 * {@code vigil_http_heartbeats_served_total{by}} counts the beats each path answered.
 */
@Singleton
@Requires(property = "vigil.heartbeats.fast-path", notEquals = "false")
final class FastHeartbeats implements BeanCreatedEventListener<NettyServerCustomizer.Registry> {

    private static final String PREFIX = "/api/v1/runs/";
    private static final String SUFFIX = "/heartbeats";
    private static final int RUN_ID_LENGTH = 36;
    /** Micronaut's handler, which the fast one sits just in front of. */
    static final String MICRONAUT_HANDLER = "micronaut-inbound-handler";

    private final HeartbeatIntake intake;
    private final JsonMapper json;
    private final long maxBody;
    private final Counter served;

    FastHeartbeats(HeartbeatIntake intake, JsonMapper json, NettyHttpServerConfiguration server, MeterRegistry registry) {
        this.intake = intake;
        this.json = json;
        this.maxBody = server.getMaxRequestSize();
        this.served = HeartbeatController.served(registry, "netty");
    }

    @Override
    public NettyServerCustomizer.Registry onCreated(BeanCreatedEvent<NettyServerCustomizer.Registry> event) {
        event.getBean().register(new NettyServerCustomizer() {
            @Override
            public NettyServerCustomizer specializeForChannel(Channel channel, ChannelRole role) {
                return role == ChannelRole.CONNECTION ? new Connection(channel) : this;
            }
        });
        return event.getBean();
    }

    /** Puts the handler on an HTTP/1.1 connection's pipeline once Micronaut has built it (not on HTTP/2 streams). */
    private final class Connection implements NettyServerCustomizer {
        private final Channel channel;

        Connection(Channel channel) {
            this.channel = channel;
        }

        @Override
        public NettyServerCustomizer specializeForChannel(Channel stream, ChannelRole role) {
            return this;
        }

        @Override
        public void onStreamPipelineBuilt() {
            if (channel.pipeline().get(HttpServerCodec.class) != null && channel.pipeline().get(MICRONAUT_HANDLER) != null) {
                channel.pipeline().addBefore(MICRONAUT_HANDLER, "vigil-fast-heartbeats", new FastHeartbeatHandler(FastHeartbeats.this));
            }
        }
    }

    /** What a beat the fast path takes names: its run, its credential, and what the problem body quotes. */
    record Target(String runId, String credential, String path, boolean keepAlive) {
    }

    long maxBody() {
        return maxBody;
    }

    /** The beat this request is, if the fast path serves it; null hands it to Micronaut. */
    Target target(HttpRequest request) {
        if (request.method() != HttpMethod.POST || request.protocolVersion() != HttpVersion.HTTP_1_1
                || request.decoderResult().isFailure()) {
            return null;
        }
        HttpHeaders headers = request.headers();
        if (headers.contains(HttpHeaderNames.EXPECT) || headers.contains(HttpHeaderNames.CONTENT_ENCODING)) {
            return null;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (path.length() != PREFIX.length() + RUN_ID_LENGTH + SUFFIX.length() || !path.startsWith(PREFIX)
                || !path.endsWith(SUFFIX)) {
            return null;
        }
        String id = path.substring(PREFIX.length(), PREFIX.length() + RUN_ID_LENGTH);
        try {
            if (!Requests.runId(id).toString().equals(id)) {
                return null; // upper case: the controller folds it
            }
        } catch (RuntimeException notARunId) { // 404 from the controller
            return null;
        }
        String credential;
        if (query < 0) {
            credential = HeartbeatController.bearer(headers.get(HttpHeaderNames.AUTHORIZATION));
        } else {
            String raw = uri.substring(query + 1);
            if (!raw.startsWith("token=") || raw.indexOf('&') >= 0) {
                return null;
            }
            credential = QueryStringDecoder.decodeComponent(raw.substring("token=".length()));
        }
        return new Target(id, credential, path, HttpUtil.isKeepAlive(request));
    }

    /**
     * The body of a beat this path can take: an empty one, or a JSON one that binds as the controller's would; null
     * for anything else (Micronaut then answers it, e.g. with its 400).
     */
    HeartbeatController.Beat body(HttpRequest request, byte[] body) {
        if (body.length == 0) {
            return new HeartbeatController.Beat(null, null, null, null);
        }
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type != null && !type.regionMatches(true, 0, "application/json", 0, "application/json".length())) {
            return null;
        }
        try {
            return json.readValue(body, Argument.of(HeartbeatController.Beat.class));
        } catch (IOException | RuntimeException unparsable) {
            return null;
        }
    }

    /** Checks and appends the beat, on the event loop: the intake never blocks its caller. */
    CompletableFuture<HeartbeatIntake.Result> beat(Target target, HeartbeatController.Beat beat) {
        return intake.beat(target.runId(), target.credential(), beat.attempt(), beat.steps(), beat.message(), beat.seq());
    }

    /** The answer to a beat, as the controller gives it. */
    FullHttpResponse answer(Target target, HeartbeatIntake.Result result) {
        served.increment();
        if (result.outcome() == HeartbeatIntake.Outcome.ACCEPTED) {
            return response(HttpResponseStatus.ACCEPTED, "application/json",
                    new HeartbeatController.Accepted(target.runId(), result.attempt()), target);
        }
        HeartbeatController.Refusal refusal = HeartbeatController.Refusal.of(result.outcome());
        HttpStatus status = refusal.status();
        FullHttpResponse response = response(HttpResponseStatus.valueOf(status.getCode()), "application/problem+json",
                new ProblemErrorResponseProcessor.Problem("about:blank", status.getReason(), status.getCode(),
                        result.detail(), target.path()), target);
        if (refusal.header() != null) {
            response.headers().set(refusal.header(), refusal.value());
        }
        return response;
    }

    private FullHttpResponse response(HttpResponseStatus status, String contentType, Object body, Target target) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        HttpUtil.setKeepAlive(response, target.keepAlive());
        return response;
    }
}
