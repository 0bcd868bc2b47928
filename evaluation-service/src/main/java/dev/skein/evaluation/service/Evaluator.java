package dev.skein.evaluation.service;

import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.evaluation.judge.Judge;
import dev.skein.evaluation.judge.JudgeRunner;
import dev.skein.evaluation.judge.Judges;
import dev.skein.evaluation.metrics.Average;
import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.ClassifierOptions;
import dev.skein.evaluation.metrics.ClassifierResult;
import dev.skein.evaluation.metrics.InvalidInputException;
import dev.skein.evaluation.metrics.Label;
import dev.skein.evaluation.metrics.RegressorAccumulator;
import dev.skein.evaluation.metrics.RetrieverAccumulator;
import dev.skein.evaluation.metrics.RetrieverResult;
import dev.skein.evaluation.metrics.TextAccumulator;
import dev.skein.evaluation.metrics.TextResult;
import dev.skein.evaluation.metrics.text.Readability;
import dev.skein.evaluation.metrics.text.TokenCounter;
import dev.skein.evaluation.output.Artifact;
import dev.skein.evaluation.output.ClassifierOutputs;
import dev.skein.evaluation.output.EvalResultsTable;
import dev.skein.evaluation.table.Columns;
import dev.skein.evaluation.table.Format;
import dev.skein.evaluation.table.Row;
import dev.skein.evaluation.table.TableException;
import dev.skein.evaluation.table.TableReader;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One evaluation's computation: the table read once, streaming, into the model type's accumulator;
 * the metrics in MLflow's keys and order; the artifacts MLflow's default evaluator logs. Pure: the
 * caller brings the table's bytes and logs what comes out. A bad table or spec fails with an
 * {@link dev.skein.evaluation.metrics.EvaluationException} or a {@link TableException} (the
 * evaluation FAILED, with their message).
 */
public final class Evaluator {

    /**
     * What an evaluation produced: the metrics, the artifacts and the metrics MLflow would compute that this one
     * could not (by key, with the reason). Closing it deletes the artifacts' temporary files.
     */
    public record Outcome(
            long rows, Map<String, Double> metrics, List<Artifact> artifacts, Map<String, String> unavailable)
            implements AutoCloseable {

        Outcome(long rows, Map<String, Double> metrics, List<Artifact> artifacts) {
            this(rows, metrics, artifacts, Map.of());
        }

        @Override
        public void close() {
            RuntimeException failure = null;
            for (Artifact a : artifacts) {
                try {
                    a.discard();
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** Most columns a table may have (each row is read as a map of them). */
    static final int MAX_COLUMNS = 10_000;

    private final long maxTableBytes;
    private final long curvesMemoryBytes;
    private final Path spillDirectory;

    /** With the default memory budget of a classifier's curves, spilling under {@code java.io.tmpdir}. */
    public Evaluator(long maxTableBytes) {
        this(maxTableBytes, EvaluationConfig.DEFAULT_CURVES_MEMORY_BYTES);
    }

    public Evaluator(long maxTableBytes, long curvesMemoryBytes) {
        this(maxTableBytes, curvesMemoryBytes, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * {@code curvesMemoryBytes}: the heap a classifier's ranking metrics and curves may take, past which its rows
     * go to temporary files under {@code spillDirectory}, removed when the evaluation ends.
     */
    public Evaluator(long maxTableBytes, long curvesMemoryBytes, Path spillDirectory) {
        this.maxTableBytes = maxTableBytes;
        this.curvesMemoryBytes = curvesMemoryBytes;
        this.spillDirectory = spillDirectory;
    }

    public Outcome evaluate(EvaluationSpec spec, String fileName, InputStream in) {
        return evaluate(spec, fileName, in, null);
    }

    /**
     * Scores a text table's rows with the spec's judges; given when the spec has judges. Called once, after the table
     * was read, with every row (at most {@code maxJudgedRows}).
     */
    public interface Judging {
        int maxRows();

        List<JudgeRunner.Scored> score(List<JudgeRunner.Row> rows);
    }

    public Outcome evaluate(EvaluationSpec spec, String fileName, InputStream in, Judging judging) {
        Format format = format(spec, fileName);
        try (TableReader table = TableReader.open(new Limited(in, maxTableBytes), format, maxTableBytes)) {
            int columns = table.columns().map(List::size).orElse(0);
            if (columns > MAX_COLUMNS) {
                throw new InvalidInputException(
                        "the table has " + columns + " columns; at most " + MAX_COLUMNS + " are read");
            }
            Outcome outcome =
                    switch (spec.getModelType()) {
                        case "classifier" -> classifier(spec, table);
                        case "regressor" -> regressor(spec, table);
                        case "retriever" -> retriever(spec, table);
                        case "question-answering", "text-summarization", "text" -> text(spec, table, judging);
                        default ->
                            throw new InvalidInputException(
                                    "model_type '" + spec.getModelType() + "' is not supported");
                    };
            return closing(table, outcome);
        }
    }

    /** Closes the table, and the outcome's files too when that fails: the caller gets them or nothing. */
    private static Outcome closing(TableReader table, Outcome outcome) {
        try {
            table.close();
        } catch (RuntimeException e) {
            outcome.close();
            throw e;
        }
        return outcome;
    }

    static Format format(EvaluationSpec spec, String fileName) {
        if (spec.hasFormat()) {
            return Format.valueOf(spec.getFormat().toUpperCase(Locale.ROOT));
        }
        try {
            return Format.fromPath(fileName);
        } catch (RuntimeException e) {
            throw new InvalidInputException("cannot tell the format of '" + fileName
                    + "' from its extension (.csv, .json, .jsonl, .ndjson, .parquet); set spec.format");
        }
    }

    private static Columns columns(EvaluationSpec spec, List<String> probabilities) {
        Columns columns = Columns.of(spec.getTargets(), spec.getPredictions());
        if (!probabilities.isEmpty()) {
            columns = columns.withProbabilities(probabilities.toArray(String[]::new));
        }
        if (spec.hasSampleWeights()) {
            columns = columns.withSampleWeight(spec.getSampleWeights());
        }
        return columns;
    }

    private Outcome classifier(EvaluationSpec spec, TableReader table) {
        // the rows spilled past the budget are removed however the evaluation ends
        try (ClassifierAccumulator acc = new ClassifierAccumulator()
                .memoryBudget(curvesMemoryBytes)
                .spillTo(spillDirectory)
                .limitDiskBytes(maxDiskBytes(maxTableBytes))) {
            return classifier(spec, table, acc);
        }
    }

    /**
     * The temporary files a classifier's rows may take past the curves' budget: 6 × the table's limit, what a CSV of
     * rows as short as they come (`0,0,0`) gives with one probability column (36 bytes a row on disk).
     */
    static long maxDiskBytes(long maxTableBytes) {
        return maxTableBytes > Long.MAX_VALUE / 6 ? Long.MAX_VALUE : 6 * maxTableBytes;
    }

    private Outcome classifier(EvaluationSpec spec, TableReader table, ClassifierAccumulator acc) {
        List<String> probabilities = probabilityColumns(spec);
        long rows = columns(spec, probabilities).feed(table, acc);
        List<Label> labels = acc.labels();
        if (spec.getLabelListCount() > 0) {
            checkLabelList(spec.getLabelListList(), labels);
        }
        ClassifierOptions options = ClassifierOptions.defaults();
        if (spec.hasAverage()) {
            options = options.withAverage(Average.parse(spec.getAverage()));
        }
        if (spec.hasPosLabel()) {
            options = options.withPosLabel(resolve(spec.getPosLabel(), labels, "pos_label"));
        }
        ClassifierOutputs.Pending outputs = ClassifierOutputs.start(acc, options);
        ClassifierResult result;
        try {
            result = acc.compute(options);
        } catch (RuntimeException | Error e) {
            outputs.cancel();
            throw e;
        }
        return new Outcome(rows, result.metrics(), outputs.finish(result));
    }

    /**
     * Probability columns in ascending label order, as the accumulator reads them: with a label_list,
     * the columns follow its order and are put in the labels' sorted order here.
     */
    private static List<String> probabilityColumns(EvaluationSpec spec) {
        List<String> columns = spec.getProbabilitiesList();
        if (columns.size() <= 1 || spec.getLabelListCount() == 0) {
            return columns;
        }
        List<String> labelList = spec.getLabelListList();
        boolean numbers = labelList.stream().allMatch(Evaluator::isNumber);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < labelList.size(); i++) {
            order.add(i);
        }
        order.sort((a, b) -> numbers
                ? Double.compare(Double.parseDouble(labelList.get(a)), Double.parseDouble(labelList.get(b)))
                : labelList.get(a).compareTo(labelList.get(b)));
        return order.stream().map(columns::get).toList();
    }

    private static void checkLabelList(List<String> labelList, List<Label> seen) {
        List<Label> listed = new ArrayList<>();
        for (String text : labelList) {
            Optional<Label> match = find(text, seen);
            if (match.isEmpty()) {
                throw new InvalidInputException("label_list holds '" + text
                        + "', which is in neither the targets nor the predictions; the labels are " + seen);
            }
            listed.add(match.get());
        }
        List<Label> missing = seen.stream().filter(l -> !listed.contains(l)).toList();
        if (!missing.isEmpty()) {
            throw new InvalidInputException("label_list lacks labels the table has: " + missing);
        }
    }

    private static Label resolve(String text, List<Label> seen, String field) {
        return find(text, seen)
                .orElseThrow(
                        () -> new InvalidInputException(field + " '" + text + "' is not one of the labels " + seen));
    }

    private static Optional<Label> find(String text, List<Label> seen) {
        for (Label label : seen) {
            if (label.isNumber()
                    ? isNumber(text)
                            && Label.of(Double.parseDouble(text.trim())).equals(label)
                    : label.toString().equals(text)) {
                return Optional.of(label);
            }
        }
        return Optional.empty();
    }

    private static boolean isNumber(String text) {
        try {
            return Double.isFinite(Double.parseDouble(text.trim()));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static Outcome regressor(EvaluationSpec spec, TableReader table) {
        RegressorAccumulator acc = new RegressorAccumulator();
        long rows = columns(spec, List.of()).feed(table, acc);
        return new Outcome(rows, acc.compute(), List.of());
    }

    private Outcome retriever(EvaluationSpec spec, TableReader table) {
        RetrieverAccumulator acc = new RetrieverAccumulator(
                spec.hasRetrieverK() ? spec.getRetrieverK() : RetrieverAccumulator.DEFAULT_K, true);
        try (ResultRows out = new ResultRows(table, spec.getTargets(), spec.getPredictions(), 2 * maxTableBytes)) {
            table.forEach(row -> {
                List<Object> relevant = row.list(spec.getTargets());
                List<Object> retrieved = row.list(spec.getPredictions());
                try {
                    acc.add(relevant, retrieved);
                } catch (InvalidInputException e) {
                    throw new InvalidInputException("row " + row.number() + ": " + e.getMessage());
                }
                checkScores(acc.rows(), 3);
                out.add(row);
            });
            RetrieverResult result = acc.compute();
            Artifact artifact = out.finish(result.scores().orElseThrow(), Set.of());
            return new Outcome(acc.rows(), new LinkedHashMap<>(result.metrics()), List.of(artifact));
        }
    }

    /** tiktoken's cl100k_base and textstat, as MLflow's text metrics call them. */
    private static final TextAccumulator.Scorers TEXT_SCORERS = new TextAccumulator.Scorers(
            text -> TokenCounter.cl100kBase().count(text),
            Readability::fleschKincaidGrade,
            Readability::automatedReadabilityIndex);

    private Outcome text(EvaluationSpec spec, TableReader table, Judging judging) {
        boolean hasTargets = !spec.getTargets().isEmpty();
        String targets = hasTargets ? spec.getTargets() : null;
        TextAccumulator acc =
                new TextAccumulator(TextAccumulator.ModelType.of(spec.getModelType()), hasTargets, TEXT_SCORERS);
        boolean judged = judging != null && spec.getJudgesCount() > 0;
        List<JudgeRunner.Row> judgeRows = new ArrayList<>();
        List<Judge> judges = judged ? Judges.resolve(spec.getJudgesList()) : List.of();
        try (ResultRows out = new ResultRows(table, targets, spec.getPredictions(), 2 * maxTableBytes)) {
            table.forEach(row -> {
                acc.add(row.value(spec.getPredictions()), hasTargets ? row.value(targets) : null);
                checkScores(acc.rows(), 7);
                if (judged) {
                    if (judgeRows.size() >= judging.maxRows()) {
                        throw new InvalidInputException("judges score at most " + judging.maxRows()
                                + " rows (skein.evaluation.max-llm-rows); the table has more");
                    }
                    judgeRows.add(judgeRow(spec, judges, row));
                }
                out.add(row);
            });
            TextResult result = acc.compute();
            if (!judged) {
                Artifact artifact = out.finish(result.scores(), Set.of(TextAccumulator.TOKEN_COUNT));
                return new Outcome(result.rows(), result.metrics(), List.of(artifact), result.unavailable());
            }
            Map<String, Object> columns = new LinkedHashMap<>(result.scores());
            Map<String, Double> metrics = new LinkedHashMap<>(result.metrics());
            Map<String, String> unavailable = new LinkedHashMap<>(result.unavailable());
            for (JudgeRunner.Scored scored : judging.score(judgeRows)) {
                columns.put(scored.judge().key() + "/score", scored.scores());
                columns.put(scored.judge().key() + "/justification", scored.justifications());
                metrics.putAll(scored.metrics());
                unavailable.putAll(scored.unavailable());
            }
            Artifact artifact = out.finishColumns(columns, Set.of(TextAccumulator.TOKEN_COUNT));
            return new Outcome(result.rows(), metrics, List.of(artifact), unavailable);
        }
    }

    /**
     * A row as judges read it: the input from {@code col_mapping["inputs"]} (default column {@code inputs}), the
     * output from the predictions, each grading context column by its name or through {@code col_mapping}. A column
     * a judge needs that the table lacks fails the evaluation, naming it.
     */
    private static JudgeRunner.Row judgeRow(EvaluationSpec spec, List<Judge> judges, Row row) {
        Map<String, String> mapping = spec.getColMappingMap();
        String inputColumn = mapping.getOrDefault("inputs", "inputs");
        boolean needsInput = false;
        Map<String, String> context = new LinkedHashMap<>();
        for (Judge judge : judges) {
            needsInput |= judge.includeInput();
            for (String c : judge.contextColumns()) {
                String column = c.equals("targets") && !spec.getTargets().isEmpty() && !mapping.containsKey(c)
                        ? spec.getTargets()
                        : mapping.getOrDefault(c, c);
                if (!row.has(column)) {
                    throw new InvalidInputException("row " + row.number() + ": judge " + judge.key()
                            + " reads column '" + column + "' (its grading context column '" + c
                            + "'), which the table does not have; name it in col_mapping");
                }
                context.put(c, text(row.value(column)));
            }
        }
        if (needsInput && !row.has(inputColumn)) {
            throw new InvalidInputException("row " + row.number() + ": the judges read the input from column '"
                    + inputColumn + "', which the table does not have; name it in col_mapping (\"inputs\")");
        }
        return new JudgeRunner.Row(
                row.has(inputColumn) ? text(row.value(inputColumn)) : null,
                text(row.value(spec.getPredictions())),
                context);
    }

    static String text(Object value) {
        return value == null ? "" : value instanceof String s ? s : String.valueOf(value);
    }

    /**
     * Refuses a table once the per-row scores kept for {@code eval_results_table.json} and the percentiles
     * ({@code columns} doubles a row, about three times that at the peak: arrays that double, then a copy)
     * would take more than {@code max-table-bytes}.
     */
    private void checkScores(long rows, int columns) {
        long peak = rows * columns * 8L * 3;
        if (peak > maxTableBytes) {
            throw new InvalidInputException("the per-row scores of " + rows + " rows would take about " + peak
                    + " bytes of memory, more than the limit of " + maxTableBytes
                    + " bytes (skein.evaluation.max-table-bytes); evaluate a smaller table");
        }
    }

    /**
     * The rows of {@code eval_results_table.json} as MLflow builds them: the table's other columns, then the
     * target and the prediction (named {@code outputs} when there is no target, as MLflow names it). A table
     * that declares no columns (JSON Lines) takes its first row's keys; a later row's other keys are left out.
     */
    private static final class ResultRows implements AutoCloseable {
        private final long maxResultsBytes;
        private final String targets;
        private final String predictions;
        private List<String> source;
        private EvalResultsTable results;

        ResultRows(TableReader table, String targets, String predictions, long maxResultsBytes) {
            this.maxResultsBytes = maxResultsBytes;
            this.targets = targets;
            this.predictions = predictions;
            Columns.of(targets == null ? predictions : targets, predictions).requireIn(table);
            table.columns().ifPresent(this::start);
        }

        private void start(Collection<String> header) {
            source = new ArrayList<>(header);
            source.remove(targets);
            source.remove(predictions);
            List<String> names = new ArrayList<>(source);
            if (targets != null) {
                source.add(targets);
                names.add(targets);
            }
            source.add(predictions);
            names.add(targets == null ? "outputs" : predictions);
            results = new EvalResultsTable(names, maxResultsBytes);
        }

        void add(Row row) {
            if (results == null) {
                start(row.columns());
            }
            List<Object> values = new ArrayList<>(source.size());
            for (String column : source) {
                values.add(row.has(column) ? row.value(column) : null);
            }
            results.addRow(values);
        }

        /** The table with the scores (every row was added). */
        Artifact finish(Map<String, double[]> scores, Set<String> integral) {
            return results.finish(scores, integral);
        }

        Artifact finishColumns(Map<String, Object> columns, Set<String> integral) {
            return results.finishColumns(columns, integral);
        }

        @Override
        public void close() {
            if (results != null) {
                results.close();
            }
        }
    }

    /** Refuses a table once it is larger than the limit, before the rest of it is read. */
    private static final class Limited extends FilterInputStream {
        private final long limit;
        private long read;

        Limited(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        private int count(int n) {
            if (n > 0) {
                read += n;
                if (read > limit) {
                    throw new TableException("the table is larger than the limit of " + limit
                            + " bytes (skein.evaluation.max-table-bytes)");
                }
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return count(super.read(b, off, len));
        }
    }
}
