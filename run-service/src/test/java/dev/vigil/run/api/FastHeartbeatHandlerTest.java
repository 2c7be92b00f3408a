package dev.vigil.run.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.ConfigLookup;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.run.RunSettings;
import dev.vigil.run.heartbeat.HeartbeatIntake;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.http.server.netty.configuration.NettyHttpServerConfiguration;
import io.micronaut.json.JsonMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fast path's bookkeeping of what Micronaut owes a connection, on an {@link EmbeddedChannel} (no server): a beat
 * behind an answer Micronaut is still streaming is Micronaut's, and a body the codec could not read is handed over.
 */
class FastHeartbeatHandlerTest {

    private static final String SECRET = "fast-heartbeat-handler-test-secret-0123456789";
    private final HeartbeatIntake intake = new HeartbeatIntake(
            RunSettings.from(ConfigLookup.of(Map.of("vigil.heartbeats.secret", SECRET))),
            KafkaSettings.local("127.0.0.1:1", "fast-test."), new TopicCatalog("fast-test."), new SimpleMeterRegistry(),
            Optional.empty());
    private final EmbeddedChannel channel = new EmbeddedChannel(new FastHeartbeatHandler(new FastHeartbeats(intake,
            JsonMapper.createDefault(), new NettyHttpServerConfiguration(), new SimpleMeterRegistry())));
    private final String run = UUID.randomUUID().toString();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        intake.close();
    }

    @Test
    void aBeatPipelinedBehindAResponseMicronautIsStillStreamingIsMicronautsUntilThatResponseEnds() {
        HttpRequest health = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/health");
        channel.writeInbound(health);
        assertThat((Object) channel.readInbound()).isSameAs(health);

        channel.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK)); // its head
        HttpRequest behind = beat();
        channel.writeInbound(behind);
        assertThat((Object) channel.readInbound()).as("handed to Micronaut: its answer comes after the body's end")
                .isSameAs(behind);

        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT); // the /health body ends
        channel.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.ACCEPTED));
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT); // Micronaut answered the beat too
        channel.writeInbound(beat());
        assertThat((Object) channel.readInbound()).as("owed nothing: the fast path takes it").isNull();
    }

    @Test
    void aBodyPartTheCodecCouldNotReadIsHandedToMicronautWithTheRequest() {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path());
        head.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token());
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        channel.writeInbound(head);
        assertThat((Object) channel.readInbound()).as("the fast path reads its body").isNull();

        LastHttpContent broken = new DefaultLastHttpContent(Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8));
        broken.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid chunk size")));
        channel.writeInbound(broken);
        assertThat((Object) channel.readInbound()).isSameAs(head);
        assertThat((Object) channel.readInbound()).isSameAs(broken);
    }

    private HttpRequest beat() {
        HttpRequest beat = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path());
        beat.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token());
        beat.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        return beat;
    }

    private String path() {
        return "/api/v1/runs/" + run + "/heartbeats";
    }

    private String token() {
        return new HeartbeatTokens(SECRET).forRun("acme", run, 1);
    }
}
