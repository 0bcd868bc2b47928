package dev.skein.cli.projects;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run's final status on Ctrl-C: written once, and before the shutdown hook lets the JVM go. */
class ProjectRunTest {

    @TempDir
    Path dir;

    /** Records the final statuses; a write can be held to see who waits on it. */
    static final class Recorder implements Tracking {
        final List<RunStatus> statuses = new CopyOnWriteArrayList<>();
        final CountDownLatch writeStarted = new CountDownLatch(1);
        volatile CountDownLatch holdWrite = new CountDownLatch(0);

        @Override
        public String createRun(String experimentId, String runName, Map<String, String> tags) {
            return "0123456789abcdef0123456789abcdef";
        }

        @Override
        public void logParams(String runId, Map<String, String> params) {}

        @Override
        public void setTerminated(String runId, RunStatus status) {
            writeStarted.countDown();
            try {
                holdWrite.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            statuses.add(status);
        }

        @Override
        public String experimentId(String name) {
            return "0";
        }

        @Override
        public String trackingUri() {
            return "http://localhost:1";
        }
    }

    /** A command that runs until cancelled, or ends at once with the given status. */
    static final class FakeBackend implements Backend {
        final CountDownLatch submitted = new CountDownLatch(1);
        final CountDownLatch cancelled = new CountDownLatch(1);
        final RunStatus endsWith;

        FakeBackend(RunStatus endsWith) {
            this.endsWith = endsWith;
        }

        @Override
        public String name() {
            return "local";
        }

        @Override
        public Submitted submit(Launch launch) {
            submitted.countDown();
            return new Submitted() {
                @Override
                public RunStatus waitFor() throws InterruptedException {
                    if (endsWith != null) {
                        return endsWith;
                    }
                    cancelled.await();
                    return RunStatus.FAILED; // a killed command exits non-zero
                }

                @Override
                public void cancel() {
                    cancelled.countDown();
                }

                @Override
                public String describe() {
                    return "exit code 130";
                }
            };
        }
    }

    static final class HookRecorder implements ProjectRun.Hooks {
        final AtomicReference<Thread> hook = new AtomicReference<>();
        final CountDownLatch added = new CountDownLatch(1);
        volatile boolean removed;

        @Override
        public void add(Thread h) {
            hook.set(h);
            added.countDown();
        }

        @Override
        public void remove(Thread h) {
            removed = true;
        }
    }

    private ProjectRun.Request request() throws IOException {
        Files.writeString(dir.resolve("MLproject"), "name: p\nentry_points:\n  main:\n    command: \"true\"\n");
        return new ProjectRun.Request(
                dir.toString(), null, "main", Map.of(), "0", null, null, null, false, null, "me", Map.of(), dir);
    }

    @Test
    void shouldEndTheRunKilledOnceWhenTheSignalComesWhileTheCommandRuns() throws Exception {
        Recorder tracking = new Recorder();
        FakeBackend backend = new FakeBackend(null);
        HookRecorder hooks = new HookRecorder();
        ProjectRun run = new ProjectRun(tracking, backend, new PrintStream(new ByteArrayOutputStream()), hooks);
        AtomicReference<ProjectRun.Outcome> outcome = new AtomicReference<>();
        ProjectRun.Request request = request();
        Thread main = new Thread(() -> {
            try {
                outcome.set(run.run(request));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        main.start();
        backend.submitted.await();

        Thread hook = hooks.hook.get();
        hook.start();
        hook.join();
        main.join();

        assertThat(backend.cancelled.getCount()).isZero();
        assertThat(tracking.statuses).containsExactly(RunStatus.KILLED);
        assertThat(outcome.get().status()).isEqualTo(RunStatus.KILLED);
    }

    @Test
    void shouldHoldTheShutdownHookUntilTheCommandsOwnEndIsWritten() throws Exception {
        Recorder tracking = new Recorder();
        tracking.holdWrite = new CountDownLatch(1);
        FakeBackend backend = new FakeBackend(RunStatus.FAILED);
        HookRecorder hooks = new HookRecorder();
        ProjectRun run = new ProjectRun(tracking, backend, new PrintStream(new ByteArrayOutputStream()), hooks);
        ProjectRun.Request request = request();
        Thread main = new Thread(() -> {
            try {
                run.run(request);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        main.start();
        // the command exited first (Ctrl-C reached it before the JVM): the main thread is writing its end
        tracking.writeStarted.await();
        Thread hook = hooks.hook.get();
        hook.start();
        while (hook.getState() != Thread.State.TIMED_WAITING && hook.isAlive()) {
            Thread.onSpinWait();
        }
        assertThat(hook.isAlive())
                .as("the hook waits for the write in progress")
                .isTrue();
        assertThat(tracking.statuses).isEmpty();

        tracking.holdWrite.countDown();
        hook.join();
        main.join();

        assertThat(tracking.statuses).containsExactly(RunStatus.FAILED);
    }

    @Test
    void shouldWriteTheEndOnceAndUnregisterTheHookWhenNoSignalCame() throws Exception {
        Recorder tracking = new Recorder();
        HookRecorder hooks = new HookRecorder();
        ProjectRun run = new ProjectRun(
                tracking, new FakeBackend(RunStatus.FINISHED), new PrintStream(new ByteArrayOutputStream()), hooks);

        ProjectRun.Outcome outcome = run.run(request());
        hooks.hook.get().run(); // had the JVM exited anyway, the hook writes nothing more

        assertThat(outcome.status()).isEqualTo(RunStatus.FINISHED);
        assertThat(hooks.removed).isTrue();
        assertThat(tracking.statuses).containsExactly(RunStatus.FINISHED);
    }

    @Test
    void shouldEndAnAlreadyRecordedRunFailedWhenItCannotStart() throws Exception {
        Files.writeString(dir.resolve("MLproject"), "name: p\nentry_points:\n  main:\n    command: \"true\"\n");
        String recorded = "0123456789abcdef0123456789abcdef";
        for (ProjectRun.Request request : List.of(
                // the project is gone by the time the watcher looks
                new ProjectRun.Request(
                        dir.resolve("gone").toString(),
                        null,
                        "main",
                        Map.of(),
                        "0",
                        null,
                        null,
                        null,
                        false,
                        recorded,
                        "me",
                        Map.of(),
                        dir),
                // an entry point the project does not have
                new ProjectRun.Request(
                        dir.toString(),
                        null,
                        "nope",
                        Map.of(),
                        "0",
                        null,
                        null,
                        null,
                        false,
                        recorded,
                        "me",
                        Map.of(),
                        dir))) {
            Recorder tracking = new Recorder();
            ProjectRun run = new ProjectRun(
                    tracking,
                    new FakeBackend(RunStatus.FINISHED),
                    new PrintStream(new ByteArrayOutputStream()),
                    new HookRecorder());

            org.assertj.core.api.Assertions.assertThatThrownBy(() -> run.run(request))
                    .isInstanceOf(ProjectException.class);
            assertThat(tracking.statuses).containsExactly(RunStatus.FAILED);
        }
    }

    @Test
    void shouldNotEndAnythingWhenANewRunCannotStartBeforeItIsRecorded() throws Exception {
        Recorder tracking = new Recorder();
        ProjectRun run = new ProjectRun(
                tracking,
                new FakeBackend(RunStatus.FINISHED),
                new PrintStream(new ByteArrayOutputStream()),
                new HookRecorder());
        ProjectRun.Request request = new ProjectRun.Request(
                dir.resolve("gone").toString(),
                null,
                "main",
                Map.of(),
                "0",
                null,
                null,
                null,
                false,
                null,
                "me",
                Map.of(),
                dir);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> run.run(request))
                .isInstanceOf(ProjectException.class);
        assertThat(tracking.statuses).isEmpty();
    }
}
