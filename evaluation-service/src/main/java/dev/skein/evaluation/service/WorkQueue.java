package dev.skein.evaluation.service;

import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.evaluation.repository.Audits;
import dev.skein.evaluation.repository.Evaluations;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Runs queued evaluations and audits with bounded concurrency: at most {@code skein.evaluation.concurrency}
 * at once in this replica, each on its own thread (reading a table is blocking, CPU-bound work), so a
 * large table never holds a Kafka consumer or an event loop. Work is claimed from the database (any
 * replica may take it) whenever a slot is free: at once when woken (new work recorded here), else every
 * poll interval (another replica's work, retries that came due, leases that ran out).
 */
@ApplicationScoped
public class WorkQueue {

    private static final Logger LOG = Logger.getLogger(WorkQueue.class);

    private final Evaluations evaluations;
    private final Audits audits;
    private final EvaluationJob evaluationJob;
    private final AuditJob auditJob;
    private final int concurrency;
    private final Duration pollInterval;
    private final Duration lease;
    private final Semaphore slots;
    private final AtomicInteger wakes = new AtomicInteger();
    private ScheduledExecutorService poller;
    private ScheduledExecutorService heartbeat;
    private ExecutorService workers;

    public WorkQueue(
            Evaluations evaluations,
            Audits audits,
            EvaluationJob evaluationJob,
            AuditJob auditJob,
            EvaluationConfig config) {
        this.evaluations = evaluations;
        this.audits = audits;
        this.evaluationJob = evaluationJob;
        this.auditJob = auditJob;
        this.concurrency = config.concurrency();
        this.pollInterval = config.pollInterval();
        this.lease = config.lease();
        this.slots = new Semaphore(concurrency);
    }

    void onStart(@Observes StartupEvent event) {
        // what a killed process's evaluations left on disk (a pod's /tmp outlives its container's restarts)
        dev.skein.evaluation.metrics.ClassifierAccumulator.sweepTemporaryFiles(lease.multipliedBy(2));
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "evaluation-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "evaluation-queue");
            t.setDaemon(true);
            return t;
        });
        heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "evaluation-lease");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::poll, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Before the LLM client's pool stops (its default priority is later): no job is handed a stopped pool. */
    void onStop(
            @Observes @jakarta.annotation.Priority(jakarta.interceptor.Interceptor.Priority.APPLICATION)
                    ShutdownEvent event) {
        if (poller != null) {
            // no new claims first, then the running work (a claim that ends unfinished is taken over later)
            poller.shutdownNow();
            heartbeat.shutdownNow();
            workers.shutdownNow();
        }
    }

    /** New work was recorded: look for it now rather than at the next poll. */
    public void wake() {
        if (poller != null && wakes.getAndIncrement() == 0) {
            poller.execute(() -> {
                wakes.set(0);
                poll();
            });
        }
    }

    private void poll() {
        try {
            long now = System.currentTimeMillis();
            // audits first: a few calls each, they must not wait behind a queue of large tables
            int free = slots.availablePermits();
            if (free > 0) {
                var due =
                        audits.claim(now, now + lease.toMillis(), free).await().atMost(Duration.ofSeconds(30));
                for (var a : due) {
                    submit(() -> auditJob.run(a));
                }
            }
            free = slots.availablePermits();
            if (free > 0) {
                var due = evaluations
                        .claim(now, now + lease.toMillis(), free)
                        .await()
                        .atMost(Duration.ofSeconds(30));
                for (var job : due) {
                    submit(() -> {
                        var renewal = renewWhileRunning(job);
                        try {
                            evaluationJob.run(job);
                        } finally {
                            renewal.cancel(false);
                        }
                    });
                }
            }
        } catch (Throwable e) {
            // the database is away (claimed rows keep their lease), or worse: the next poll tries again;
            // a throw out of here would end the periodic polling for good
            LOG.warnf("Cannot claim evaluation work now: %s", e.toString());
        }
    }

    /**
     * Extends the job's lease every third of it while it runs, so a long evaluation (thousands of LLM calls) is not
     * taken over and redone by another claim; once the claim is lost the renewals stop (the job checks it before it
     * writes).
     */
    private java.util.concurrent.Future<?> renewWhileRunning(dev.skein.evaluation.EvaluationRecord job) {
        long every = Math.max(1, lease.toMillis() / 3);
        java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Future<?>> self =
                new java.util.concurrent.atomic.AtomicReference<>();
        Runnable renew = () -> {
            try {
                boolean held = evaluations
                        .renew(job.id(), job.attempts(), System.currentTimeMillis() + lease.toMillis())
                        .await()
                        .atMost(Duration.ofSeconds(30));
                if (!held) {
                    LOG.infof("Evaluation %s is no longer held by this claim; its lease is not renewed", job.id());
                    var f = self.get();
                    if (f != null) {
                        f.cancel(false);
                    }
                }
            } catch (Throwable e) {
                // the database is away: the next beat tries again, well before the lease runs out
                LOG.warnf("Cannot renew the lease of evaluation %s now: %s", job.id(), e.toString());
            }
        };
        try {
            var f = heartbeat.scheduleAtFixedRate(renew, every, every, TimeUnit.MILLISECONDS);
            self.set(f);
            return f;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping: the work ends with the service
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
    }

    private void submit(Runnable work) {
        slots.acquireUninterruptibly();
        workers.execute(() -> {
            try {
                work.run();
            } catch (Throwable e) {
                // counted as a crash when claimed again: after a few, the work fails instead of looping
                LOG.errorf(e, "Evaluation work ended without a result; it is retried when its lease runs out");
            } finally {
                slots.release();
                wake();
            }
        });
    }
}
