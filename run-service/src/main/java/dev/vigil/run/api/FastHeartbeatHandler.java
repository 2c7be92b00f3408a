package dev.vigil.run.api;

import dev.vigil.run.heartbeat.HeartbeatIntake;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One HTTP/1.1 connection's fast heartbeat path, just in front of Micronaut's handler ({@link FastHeartbeats}).
 *
 * <p>HTTP/1.1 answers requests in the order they came, and a client may pipeline. So a beat is taken only when
 * Micronaut owes the connection no answer (every request handed to it has had its final response written through
 * here), and while a taken beat waits for the broker, whatever arrives next is held — and reading paused — until its
 * answer is written. A request this path cannot serve after all (a body that does not parse, one over the size
 * limit) is handed to Micronaut whole, in order, as if this handler were not there.
 */
final class FastHeartbeatHandler extends ChannelDuplexHandler {

    private static final HeartbeatIntake.Result UNEXPECTED = new HeartbeatIntake.Result(
            HeartbeatIntake.Outcome.UNAVAILABLE, 0, "the beat could not be taken; try again");

    private final FastHeartbeats beats;
    /** Requests handed to Micronaut whose final (non-1xx) response has not been written to its end yet. */
    private int owed;
    /** Micronaut has written a final response's head and streams its body: it is owed until its last part. */
    private boolean streaming;
    /** The beat whose body is being read, and the messages it came in (kept to hand over). */
    private FastHeartbeats.Target target;
    private final List<HttpContent> parts = new ArrayList<>();
    private HttpRequest request;
    private long bodyBytes;
    /** A taken beat waits for the broker: hold what arrives, and the reads Micronaut asks for. */
    private boolean answering;
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private boolean readHeld;
    private boolean closing;

    FastHeartbeatHandler(FastHeartbeats beats) {
        this.beats = beats;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answering || closing) {
            if (closing) {
                ReferenceCountUtil.release(msg);
            } else {
                held.add(msg);
            }
            return;
        }
        route(ctx, msg);
    }

    private void route(ChannelHandlerContext ctx, Object msg) {
        if (request != null) {
            if (msg instanceof HttpContent content && content.decoderResult().isSuccess()) {
                read(ctx, content);
            } else if (msg instanceof HttpContent failed) { // a part the codec could not read: Micronaut says so
                parts.add(failed);
                handOver(ctx);
            } else { // not a body part: the codec gave up on this request; Micronaut answers it
                handOver(ctx);
                forward(ctx, msg);
            }
            return;
        }
        if (msg instanceof HttpRequest next && owed == 0) {
            FastHeartbeats.Target taken = beats.target(next);
            if (taken != null) {
                request = next;
                target = taken;
                if (msg instanceof HttpContent content) { // a FullHttpRequest
                    read(ctx, content);
                }
                return;
            }
        }
        forward(ctx, msg);
    }

    private void forward(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            owed++;
        }
        ctx.fireChannelRead(msg);
    }

    private void read(ChannelHandlerContext ctx, HttpContent content) {
        if (content != request) {
            parts.add(content);
        }
        bodyBytes += content.content().readableBytes();
        if (bodyBytes > beats.maxBody()) {
            handOver(ctx); // Micronaut answers 413; the rest of the body follows it there
            return;
        }
        if (!(content instanceof LastHttpContent)) {
            return;
        }
        HeartbeatController.Beat beat = beats.body(request, body());
        if (beat == null) {
            handOver(ctx);
            return;
        }
        FastHeartbeats.Target taken = target;
        discard();
        answering = true;
        CompletableFuture<HeartbeatIntake.Result> appended;
        try {
            appended = beats.beat(taken, beat);
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        // Always answered, and on the event loop: a beat that failed unexpectedly is a 503, never a wedged connection.
        appended.whenComplete((result, error) -> ctx.executor().execute(() -> answer(ctx, taken,
                error == null && result != null ? result : UNEXPECTED)));
    }

    private byte[] body() {
        byte[] body = new byte[(int) bodyBytes];
        int at = 0;
        if (request instanceof HttpContent full) {
            ByteBuf bytes = full.content();
            bytes.getBytes(bytes.readerIndex(), body, at, bytes.readableBytes());
            at += bytes.readableBytes();
        }
        for (HttpContent part : parts) {
            ByteBuf bytes = part.content();
            bytes.getBytes(bytes.readerIndex(), body, at, bytes.readableBytes());
            at += bytes.readableBytes();
        }
        return body;
    }

    /** Gives the request being read to Micronaut as it came; its remaining parts follow it there. */
    private void handOver(ChannelHandlerContext ctx) {
        HttpRequest whole = request;
        List<HttpContent> read = new ArrayList<>(parts);
        request = null;
        target = null;
        parts.clear();
        bodyBytes = 0;
        forward(ctx, whole);
        read.forEach(ctx::fireChannelRead);
    }

    /** On the event loop: writes the beat's answer, then goes on with what was held meanwhile. */
    private void answer(ChannelHandlerContext ctx, FastHeartbeats.Target taken, HeartbeatIntake.Result result) {
        answering = false;
        FullHttpResponse response = beats.answer(taken, result);
        if (!taken.keepAlive()) {
            closing = true;
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            releaseHeld();
            return;
        }
        ctx.writeAndFlush(response);
        boolean replayed = !held.isEmpty();
        while (!answering && !held.isEmpty()) {
            route(ctx, held.poll());
        }
        if (replayed) {
            ctx.fireChannelReadComplete(); // Micronaut flushes and asks for more at the end of a read
        }
        if (!answering && readHeld) {
            readHeld = false;
            ctx.read();
        }
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (answering) {
            readHeld = true; // one answer at a time: read on once it is written
        } else {
            ctx.read();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response && response.status().code() >= 200 && owed > 0) {
            streaming = true; // Micronaut's final answer to a request handed to it begins
        }
        if (streaming && msg instanceof LastHttpContent) { // a FullHttpResponse is both its head and its end
            streaming = false;
            owed--;
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        discard();
        releaseHeld();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        discard();
        releaseHeld();
    }

    private void releaseHeld() {
        held.forEach(ReferenceCountUtil::release);
        held.clear();
    }

    /** Releases the request being read. */
    private void discard() {
        if (request != null) {
            ReferenceCountUtil.release(request);
        }
        parts.forEach(ReferenceCountUtil::release);
        request = null;
        target = null;
        parts.clear();
        bodyBytes = 0;
    }
}
