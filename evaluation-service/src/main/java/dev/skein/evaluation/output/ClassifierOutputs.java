package dev.skein.evaluation.output;

import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.ClassifierOptions;
import dev.skein.evaluation.metrics.ClassifierResult;
import dev.skein.evaluation.metrics.ClassifierResult.PerClassMetrics;
import dev.skein.evaluation.metrics.Curves;
import dev.skein.evaluation.metrics.Label;
import dev.skein.evaluation.metrics.LiftCurve;
import dev.skein.evaluation.metrics.MetricKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The artifacts MLflow 2.17.2's default evaluator logs for {@code model_type="classifier"}
 * ({@code _log_binary_classifier_artifacts}, {@code _log_multiclass_classifier_artifacts},
 * {@code _log_confusion_matrix}), in its order and under its file names:
 *
 * <ul>
 *   <li>binary with probabilities: {@code roc_curve_plot.png}, {@code precision_recall_curve_plot.png}, then
 *       {@code lift_curve_plot.png} when both classes occur in the targets (scikit-plot refuses one class, and
 *       MLflow then logs no lift plot)
 *   <li>multiclass: with probabilities and at most {@code max_classes_for_multiclass_roc_pr} classes
 *       {@code roc_curve_plot.png} and {@code precision_recall_curve_plot.png} (one curve per class), then
 *       {@code per_class_metrics.csv}
 *   <li>always: {@code confusion_matrix.png}, normalized over each target's row
 * </ul>
 *
 * <p>Not produced: the SHAP plots (they need the model, which Skein's table evaluations do not have).
 */
public final class ClassifierOutputs {

    static final String ROC_CURVE_PLOT = "roc_curve_plot.png";
    static final String PRECISION_RECALL_CURVE_PLOT = "precision_recall_curve_plot.png";
    static final String LIFT_CURVE_PLOT = "lift_curve_plot.png";
    static final String PER_CLASS_METRICS = "per_class_metrics.csv";
    static final String CONFUSION_MATRIX = "confusion_matrix.png";
    static final String PNG = "image/png";
    static final String CSV = "text/csv";

    private ClassifierOutputs() {}

    /** What MLflow's default evaluator logs for this classifier evaluation, in MLflow's names. */
    public static List<Artifact> of(ClassifierAccumulator acc, ClassifierResult result, ClassifierOptions options) {
        return start(acc, options).finish(result);
    }

    /**
     * Where the lift curves and the confusion matrix are drawn: daemon threads ({@code skein-plots-N}), one fewer
     * than the cores, idle ones ending after a minute; none on one core, where the evaluation's own thread draws
     * everything. At most two tasks per running evaluation are queued (the lift and the matrix; the
     * precision–recall plot).
     */
    private static final ExecutorService PLOTS = plotsExecutor();

    private static ExecutorService plotsExecutor() {
        int threads = Runtime.getRuntime().availableProcessors() - 1;
        if (threads < 1) {
            return null;
        }
        AtomicInteger created = new AtomicInteger();
        ThreadPoolExecutor pool =
                new ThreadPoolExecutor(threads, threads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), task -> {
                    Thread t = new Thread(task, "skein-plots-" + created.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * Starts the artifacts of a fed accumulator before its metrics are computed: the lift curves (binary) and the
     * confusion matrix are computed and drawn on another core while the calling thread computes the metrics and
     * then, in {@link Pending#finish}, draws the ROC and precision–recall plots (the latter on the other core if it
     * is free by then); when no other thread has started
     * them by then, {@code finish} does them on the calling thread. A binary evaluation's confusion matrix is drawn
     * here, on the calling thread, while the other sorts the scores that both the lift curves and the metrics
     * wait for.
     */
    public static Pending start(ClassifierAccumulator acc, ClassifierOptions options) {
        boolean binary = acc.labels().size() == 2;
        Pending pending = new Pending(acc, options, !binary);
        offer(pending.rest); // left to finish, on the calling thread, if no other thread takes it
        if (binary) {
            try {
                pending.matrix = confusionMatrix(acc, options);
            } catch (RuntimeException | Error e) {
                pending.cancel();
                throw e;
            }
        }
        return pending;
    }

    private static Artifact confusionMatrix(ClassifierAccumulator acc, ClassifierOptions options) {
        return new Artifact(CONFUSION_MATRIX, PNG, Plots.confusionMatrix(acc.confusionMatrix(options)));
    }

    /** Artifacts being made on another core; {@link #finish} or {@link #cancel} it. */
    public static final class Pending {
        private final ClassifierAccumulator acc;
        private final ClassifierOptions options;
        private final FutureTask<List<Artifact>> rest;
        private volatile boolean cancelled;
        private final CountDownLatch ended = new CountDownLatch(1);
        private volatile boolean started;
        /** Whether {@link #rest} draws the confusion matrix; otherwise {@link #start} has, into {@link #matrix}. */
        private final boolean restDrawsMatrix;

        private Artifact matrix;

        private Pending(ClassifierAccumulator acc, ClassifierOptions options, boolean restDrawsMatrix) {
            this.acc = acc;
            this.options = options;
            this.restDrawsMatrix = restDrawsMatrix;
            this.rest = new FutureTask<>(this::rest);
        }

        /**
         * The lift plot (binary, both classes in the targets) and, unless {@link #start} draws it, the confusion
         * matrix; nothing once cancelled.
         */
        private List<Artifact> rest() {
            started = true;
            try {
                List<Artifact> artifacts = new ArrayList<>(2);
                if (!cancelled && acc.labels().size() == 2) {
                    acc.liftCurve().ifPresent(lift -> {
                        if (!cancelled) {
                            List<String> legends = liftLegends(acc.positiveLabel(options), lift);
                            artifacts.add(new Artifact(LIFT_CURVE_PLOT, PNG, liftPlot(legends, lift)));
                        }
                    });
                }
                if (!cancelled && restDrawsMatrix) {
                    artifacts.add(confusionMatrix(acc, options));
                }
                return artifacts;
            } finally {
                ended.countDown();
            }
        }

        /** Every artifact, in MLflow's order, once {@code result} (the accumulator's metrics) is known. */
        public List<Artifact> finish(ClassifierResult result) {
            List<Artifact> artifacts = new ArrayList<>();
            try {
                List<Curves> curves = acc.curves(options);
                if (!curves.isEmpty()) {
                    // binary: pos_label; multiclass: evaluator_config's pos_label, usually none
                    Label axisLabel = result.binary() ? result.positiveLabel() : options.posLabel();
                    // offered to the plots thread, which is free once the lift plot and the matrix are drawn;
                    // drawn here after the ROC plot unless that thread has started it
                    FutureTask<byte[]> precisionRecall =
                            new FutureTask<>(() -> precisionRecallPlot(result, curves, axisLabel));
                    offer(precisionRecall);
                    byte[] roc;
                    try {
                        roc = rocPlot(result, curves, axisLabel);
                    } catch (RuntimeException | Error e) {
                        stop(precisionRecall);
                        throw e;
                    }
                    precisionRecall.run();
                    artifacts.add(new Artifact(ROC_CURVE_PLOT, PNG, roc));
                    artifacts.add(new Artifact(PRECISION_RECALL_CURVE_PLOT, PNG, result(precisionRecall)));
                }
                if (!result.binary()) {
                    artifacts.add(
                            new Artifact(PER_CLASS_METRICS, CSV, PerClassMetricsCsv.write(result.perClassMetrics())));
                }
            } catch (RuntimeException | Error e) {
                cancel();
                throw e;
            }
            rest.run(); // computed and drawn here unless another thread has started it
            // lift_curve_plot.png (binary) after the curves' plots and per_class_metrics.csv; the matrix last
            artifacts.addAll(result(rest));
            if (matrix != null) {
                artifacts.add(matrix);
            }
            return List.copyOf(artifacts);
        }

        /**
         * Stops what has not started, and waits for what has to stop at its next step (the lift curve, the lift
         * plot, the matrix), so that a failed evaluation's memory is free before its worker takes the next one.
         */
        public void cancel() {
            cancelled = true;
            rest.cancel(false);
            if (started) {
                boolean interrupted = false;
                while (true) {
                    try {
                        ended.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Queues {@code task} for the plots thread; with none, or when it refuses, the caller runs it. */
    private static void offer(FutureTask<?> task) {
        if (PLOTS != null) {
            try {
                PLOTS.execute(task);
            } catch (RejectedExecutionException e) {
                // left to the caller
            }
        }
    }

    /** Cancels {@code task} if it has not started, or waits for it to end if it has; its outcome is dropped. */
    private static void stop(FutureTask<?> task) {
        if (!task.cancel(false)) {
            try {
                result(task);
            } catch (RuntimeException | Error e) {
                // the caller is failing already
            }
        }
    }

    /** A task's result, its failure rethrown as it was thrown. */
    private static <T> T result(FutureTask<T> task) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the task runs on another thread and ends by itself
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) e.getCause(); // the task throws nothing checked
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static byte[] rocPlot(ClassifierResult result, List<Curves> curves, Label axisLabel) {
        List<Plots.Line> lines = new ArrayList<>();
        for (int i = 0; i < curves.size(); i++) {
            Curves c = curves.get(i);
            // binary: roc_auc_score(y, P(last label)), the logged roc_auc, whatever pos_label the curve uses
            double auc = metric(result, i, MetricKeys.ROC_AUC);
            lines.add(new Plots.Line(legend(result, c, "AUC=" + PythonFormat.fixed3(auc)), c.fpr(), c.tpr()));
        }
        return Plots.curves(
                "ROC curve",
                "False Positive Rate" + suffix(axisLabel),
                "True Positive Rate" + suffix(axisLabel),
                lines,
                0,
                !result.binary());
    }

    private static byte[] precisionRecallPlot(ClassifierResult result, List<Curves> curves, Label axisLabel) {
        List<Plots.Line> lines = new ArrayList<>();
        for (int i = 0; i < curves.size(); i++) {
            Curves c = curves.get(i);
            double ap = metric(result, i, MetricKeys.PRECISION_RECALL_AUC);
            lines.add(new Plots.Line(legend(result, c, "AP=" + PythonFormat.fixed3(ap)), c.recall(), c.precision()));
        }
        return Plots.curves(
                "Precision recall curve",
                "Recall" + suffix(axisLabel),
                "Precision" + suffix(axisLabel),
                lines,
                1,
                !result.binary());
    }

    /** plot_lift_curve(y, y_probs, pos_label): one line per class of the targets, then the baseline. */
    private static byte[] liftPlot(List<String> legends, LiftCurve lift) {
        List<Plots.Line> lines = List.of(
                new Plots.Line(legends.get(0), lift.firstClassPercentages(), lift.firstClassLift()),
                new Plots.Line(legends.get(1), lift.secondClassPercentages(), lift.secondClassLift()));
        return Plots.lines("Lift Curve", "Percentage of sample", "Lift", lines, "Baseline");
    }

    /**
     * The legend of each class's line: "Class x", and " (positive)" after the class equal to pos_label when
     * pos_label is truthy in Python (the binary evaluation's pos_label, by default the last label).
     */
    static List<String> liftLegends(Label positive, LiftCurve lift) {
        List<String> legends = new ArrayList<>(2);
        for (Label cls : lift.classes()) {
            legends.add("Class " + cls + (truthy(positive) && cls.equals(positive) ? " (positive)" : ""));
        }
        return legends;
    }

    private static double metric(ClassifierResult result, int curve, String key) {
        if (result.binary()) {
            return result.metrics().get(key);
        }
        PerClassMetrics row = result.perClassMetrics().get(curve);
        return row.metrics().get(key);
    }

    private static String legend(ClassifierResult result, Curves c, String score) {
        return result.binary() ? score : "label=" + c.positiveClass() + "," + score;
    }

    /** MLflow adds " (Positive label: x)" when {@code pos_label} is truthy in Python: not 0 and not "". */
    private static String suffix(Label positive) {
        return truthy(positive) ? " (Positive label: " + positive + ")" : "";
    }

    /** Python's truth of a label: not None, not 0 and not "". */
    private static boolean truthy(Label label) {
        return label != null && !label.toString().isEmpty() && !(label.isNumber() && label.equals(Label.of(0)));
    }
}
