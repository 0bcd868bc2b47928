package dev.skein.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BodyTimeoutTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void shouldEndABodyThatKeepsTricklingOnceItsDeadlineHasPassed() throws Exception {
        CountDownLatch ended = new CountDownLatch(1);
        AtomicInteger fired = new AtomicInteger();
        BodyTimeout timeout = BodyTimeout.start(vertx, Duration.ofSeconds(1), Duration.ofSeconds(2), () -> {
            fired.incrementAndGet();
            ended.countDown();
        });
        // a byte every 100 ms: never idle for the idle timeout, but never done either
        long trickle = vertx.setPeriodic(100, id -> timeout.touch());
        assertThat(ended.await(30, TimeUnit.SECONDS)).isTrue();
        vertx.cancelTimer(trickle);
        Thread.sleep(1_500);
        assertThat(fired).hasValue(1);
    }

    @Test
    void shouldNotEndABodyThatKeepsArrivingBeforeItsDeadline() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        BodyTimeout timeout =
                BodyTimeout.start(vertx, Duration.ofSeconds(5), Duration.ofMinutes(5), fired::incrementAndGet);
        long trickle = vertx.setPeriodic(100, id -> timeout.touch());
        Thread.sleep(3_000);
        timeout.cancel();
        vertx.cancelTimer(trickle);
        assertThat(fired).hasValue(0);
    }
}
