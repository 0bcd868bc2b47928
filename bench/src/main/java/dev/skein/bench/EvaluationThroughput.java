package dev.skein.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.output.Artifact;
import dev.skein.evaluation.service.Evaluator;
import dev.skein.evaluation.table.Columns;
import dev.skein.evaluation.table.Format;
import dev.skein.evaluation.table.Row;
import dev.skein.evaluation.table.TableReader;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The in-process half of {@code ./skein bench evaluation}, run by {@link EvaluationBench} in a JVM of its own
 * with a modest heap, one per table size and format: a CSV or Parquet table of predictions read by
 * evaluation-service's {@code TableReader} (the floor), read and fed to a {@code ClassifierAccumulator}, and evaluated whole by {@code Evaluator} (metrics
 * and artifacts); then each phase's heap. Prints {@code result KEY VALUE} lines for the parent to tabulate.
 *
 * <p>Heap, per phase (read, evaluate), from a baseline taken after two {@code System.gc()}: the live peak (an
 * untimed pass during which a thread forces a full GC every 50 ms and reads the heap used right after), the
 * largest heap after any GC of the timed passes (GC notifications: live data plus garbage already promoted), and
 * the heap pools' peak usage (garbage included: mostly how much young generation the JVM chose to fill).
 */
final class EvaluationThroughput {

    static final String MAIN = EvaluationThroughput.class.getName();

    static final EvaluationSpec SPEC = EvaluationSpec.newBuilder()
            .setData("predictions.csv")
            .setModelType("classifier")
            .setTargets("label")
            .setPredictions("prediction")
            .addProbabilities("proba")
            .build();

    /** evaluation-service's default {@code skein.evaluation.max-table-bytes}. */
    static final long MAX_TABLE_BYTES = 1L << 30;

    private static final long SAMPLE_MILLIS = 50;

    private final Path table;
    private final Format format;
    private final long curvesMemoryBytes;
    private final Evaluator evaluator;
    private volatile double sink;

    private EvaluationThroughput(Path table, long curvesMemoryBytes) {
        this.table = table;
        this.curvesMemoryBytes = curvesMemoryBytes;
        this.evaluator = new Evaluator(MAX_TABLE_BYTES, curvesMemoryBytes);
        this.format = Format.fromPath(table.getFileName().toString());
    }

    /**
     * {@code args}: the table (CSV or Parquet, by its extension), the timed rounds, and optionally the classifier's
     * curves memory budget (by default evaluation-service's, {@code skein.evaluation.curves-memory-bytes}).
     */
    public static void main(String[] args) throws Exception {
        long budget = args.length > 2 ? Long.parseLong(args[2]) : EvaluationConfig.DEFAULT_CURVES_MEMORY_BYTES;
        new EvaluationThroughput(Path.of(args[0]), budget).run(Integer.parseInt(args[1]));
    }

    private void run(int rounds) throws Exception {
        result("heap.max", Runtime.getRuntime().maxMemory());
        result("jvm", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        // warm-up: each phase once, so the timed rounds run compiled code
        long rows = read();
        feed();
        Evaluator.Outcome outcome = evaluate();
        if (outcome.rows() != rows) {
            throw new IllegalStateException("the floor read " + rows + " rows, the evaluation " + outcome.rows());
        }
        result("rows", rows);
        result("budget", curvesMemoryBytes);
        // ClassifierAccumulator keeps rows in memory while 12 × 12 bytes a row (one probability column) fit
        result("spilled", 144L * rows > curvesMemoryBytes);
        result("bytes", Files.size(table));
        result("metrics", outcome.metrics().size());
        result("roc_auc", outcome.metrics().get("roc_auc"));
        result(
                "artifacts",
                outcome.artifacts().stream()
                        .map(a -> a.path() + " " + size(a) / 1024 + " KiB")
                        .collect(Collectors.joining(", ")));

        long[] readNanos = new long[rounds];
        long[] feedNanos = new long[rounds];
        long[] evaluateNanos = new long[rounds];
        HeapWatch readHeap = new HeapWatch();
        HeapWatch evaluateHeap = new HeapWatch();
        // interleaved, so that a change in the machine's load falls on every phase alike
        for (int r = 0; r < rounds; r++) {
            readHeap.start();
            long t0 = System.nanoTime();
            read();
            readNanos[r] = System.nanoTime() - t0;
            readHeap.stop();
            t0 = System.nanoTime();
            feed();
            feedNanos[r] = System.nanoTime() - t0;
            evaluateHeap.start();
            t0 = System.nanoTime();
            evaluate();
            evaluateNanos[r] = System.nanoTime() - t0;
            evaluateHeap.stop();
        }
        result("read.nanos", median(readNanos));
        result("feed.nanos", median(feedNanos));
        result("evaluate.nanos", median(evaluateNanos));
        result("read.all", Arrays.toString(readNanos));
        result("evaluate.all", Arrays.toString(evaluateNanos));
        readHeap.report("read");
        evaluateHeap.report("evaluate");
        livePeak("read", () -> sink = read());
        livePeak("evaluate", () -> sink = evaluate().rows());
    }

    private static long size(Artifact a) {
        try {
            return a.content() != null ? a.content().length : Files.size(a.file());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The floor: every row read and parsed, and the three cells the evaluation reads taken from it. */
    private long read() throws Exception {
        double sum = 0;
        long rows = 0;
        try (TableReader reader = TableReader.open(Files.newInputStream(table), format)) {
            while (reader.hasNext()) {
                Row row = reader.next();
                sum += row.label("label").hashCode() + row.label("prediction").hashCode() + row.number("proba");
                rows++;
            }
        }
        sink = sum;
        return rows;
    }

    /** Read and accumulated as the evaluation does ({@code Columns.feed}), nothing computed at the end. */
    private void feed() throws Exception {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        try (TableReader rows = TableReader.open(Files.newInputStream(table), format)) {
            sink = Columns.of("label", "prediction").withProbabilities("proba").feed(rows, acc);
        }
    }

    /** The subject: the whole computation, metrics and artifacts (PNG plots). */
    private Evaluator.Outcome evaluate() throws Exception {
        String name = table.getFileName().toString();
        try (Evaluator.Outcome outcome =
                evaluator.evaluate(SPEC.toBuilder().setData(name).build(), name, Files.newInputStream(table))) {
            return outcome;
        }
    }

    interface Phase {
        void run() throws Exception;
    }

    /** Runs {@code phase} once (untimed) while a thread forces a full GC every 50 ms; the largest heap after one. */
    private void livePeak(String name, Phase phase) throws Exception {
        long baseline = baseline();
        AtomicLong peak = new AtomicLong();
        AtomicLong samples = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                peak.accumulateAndGet(heapUsed(), Math::max);
                samples.incrementAndGet();
                try {
                    Thread.sleep(SAMPLE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        phase.run();
        sampler.interrupt();
        sampler.join();
        result(name + ".baseline", baseline);
        result(name + ".live.peak", peak.get());
        result(name + ".live.samples", samples.get());
    }

    /** The heap used after two full collections: what is live before a phase starts. */
    static long baseline() {
        System.gc();
        System.gc();
        return heapUsed();
    }

    static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * GC notifications while a phase runs: the largest heap (summed over the heap pools) after any collection,
     * the collections counted; and the heap pools' peak usage, reset at each start.
     */
    private static final class HeapWatch {
        private final Set<String> heapPools;
        private final AtomicLong maxAfterGc = new AtomicLong();
        private final AtomicLong collections = new AtomicLong();
        private long peakUsed;
        private long baseline = Long.MAX_VALUE;
        private volatile boolean on;

        HeapWatch() {
            List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans();
            heapPools = pools.stream()
                    .filter(p -> p.getType() == MemoryType.HEAP)
                    .map(MemoryPoolMXBean::getName)
                    .collect(Collectors.toSet());
            NotificationListener listener = (notification, handback) -> {
                if (!on
                        || !notification
                                .getType()
                                .equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    return;
                }
                var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                long after = 0;
                for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                    if (heapPools.contains(e.getKey())) {
                        after += e.getValue().getUsed();
                    }
                }
                maxAfterGc.accumulateAndGet(after, Math::max);
                collections.incrementAndGet();
            };
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((NotificationEmitter) gc).addNotificationListener(listener, null, null);
            }
        }

        void start() throws InterruptedException {
            baseline = Math.min(baseline, baseline());
            Thread.sleep(100); // the notifications of those collections arrive before the phase is watched
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    p.resetPeakUsage();
                }
            }
            on = true;
        }

        void stop() throws InterruptedException {
            long peak = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    MemoryUsage u = p.getPeakUsage();
                    peak += u.getUsed();
                }
            }
            peakUsed = Math.max(peakUsed, peak);
            Thread.sleep(100); // notifications arrive on a thread of their own
            on = false;
        }

        void report(String name) {
            result(name + ".gc.baseline", baseline);
            result(name + ".gc.max.after", maxAfterGc.get());
            result(name + ".gc.count", collections.get());
            result(name + ".pool.peak", peakUsed);
        }
    }

    static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    static void result(String key, Object value) {
        System.out.println(
                "result " + key + " " + (value instanceof Double d ? String.format(Locale.ROOT, "%s", d) : value));
    }
}
