package dev.skein.evaluation.table;

import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.InvalidInputException;
import dev.skein.evaluation.metrics.Label;
import dev.skein.evaluation.metrics.RegressorAccumulator;
import dev.skein.evaluation.metrics.RetrieverAccumulator;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which columns of a predictions table feed the metrics: {@code targets}, {@code predictions}, optional
 * probabilities and an optional sample weight. For a retriever, targets and predictions hold lists of doc ids.
 *
 * <p>Probabilities: one column holding a number per row (binary: P(the label that sorts last)) or a list per
 * row (one per class, in ascending label order); or several numeric columns, one per class in that order.
 *
 * <p>A column the table's header (CSV, MLflow JSON) does not have is refused before any row is read; for JSON
 * Lines it is refused at the first row without it. An accumulator's refusal of a row is rethrown as an {@link
 * InvalidInputException} naming the row.
 */
public record Columns(String targets, String predictions, List<String> probabilities, Optional<String> sampleWeight) {

    public Columns {
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(predictions, "predictions");
        probabilities = List.copyOf(probabilities);
        Objects.requireNonNull(sampleWeight, "sampleWeight");
    }

    public static Columns of(String targets, String predictions) {
        return new Columns(targets, predictions, List.of(), Optional.empty());
    }

    public Columns withProbabilities(String... columns) {
        return new Columns(targets, predictions, List.of(columns), sampleWeight);
    }

    public Columns withSampleWeight(String column) {
        return new Columns(targets, predictions, probabilities, Optional.of(column));
    }

    /** Every column named here, in order. */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(targets);
        names.add(predictions);
        names.addAll(probabilities);
        sampleWeight.ifPresent(names::add);
        return names;
    }

    /** Refuses a column the table's header does not have; nothing to check when the table declares none. */
    public void requireIn(TableReader table) {
        table.columns().ifPresent(header -> {
            for (String name : names()) {
                if (!header.contains(name)) {
                    throw TableException.at(
                            0, name, "no such column (the table has " + String.join(", ", header) + ")");
                }
            }
        });
    }

    /** Adds every remaining row of {@code table} to {@code acc}; returns the rows added. */
    public long feed(TableReader table, ClassifierAccumulator acc) {
        requireIn(table);
        table.declaredRows().ifPresent(rows -> acc.expectRows(rows - table.rowsRead()));
        long before = acc.rows();
        table.forEach(row -> {
            Label target = row.label(targets);
            Label prediction = row.label(predictions);
            double[] probs = probabilities(row);
            try {
                if (sampleWeight.isPresent()) {
                    double weight = row.number(sampleWeight.get());
                    if (probs == null) {
                        acc.add(target, prediction, weight);
                    } else {
                        acc.add(target, prediction, probs, weight);
                    }
                } else if (probs == null) {
                    acc.add(target, prediction);
                } else {
                    acc.add(target, prediction, probs);
                }
            } catch (InvalidInputException e) {
                throw new InvalidInputException("row " + row.number() + ": " + e.getMessage());
            }
        });
        return acc.rows() - before;
    }

    /** Adds every remaining row of {@code table} to {@code acc}; a regressor takes no probabilities. */
    public long feed(TableReader table, RegressorAccumulator acc) {
        if (!probabilities.isEmpty()) {
            throw new IllegalArgumentException("a regressor takes no probability columns");
        }
        requireIn(table);
        long before = acc.rows();
        table.forEach(row -> {
            double target = row.number(targets);
            double prediction = row.number(predictions);
            try {
                if (sampleWeight.isPresent()) {
                    acc.add(target, prediction, row.number(sampleWeight.get()));
                } else {
                    acc.add(target, prediction);
                }
            } catch (InvalidInputException e) {
                throw new InvalidInputException("row " + row.number() + ": " + e.getMessage());
            }
        });
        return acc.rows() - before;
    }

    /**
     * Adds every remaining row of {@code table} to {@code acc}: {@code targets} holds each row's relevant doc ids
     * and {@code predictions} the retrieved ones, best first, each a list of strings or integers (a JSON array in
     * JSON and JSON Lines tables; in CSV a cell holding a JSON array, {@code "[""doc1"", ""doc7""]"} or
     * {@code [3, 7]}). A retriever takes no probability or sample weight columns.
     */
    public long feed(TableReader table, RetrieverAccumulator acc) {
        if (!probabilities.isEmpty() || sampleWeight.isPresent()) {
            throw new IllegalArgumentException("a retriever takes no probability or sample weight columns");
        }
        requireIn(table);
        long before = acc.rows();
        table.forEach(row -> {
            List<Object> relevant = row.list(targets);
            List<Object> retrieved = row.list(predictions);
            try {
                acc.add(relevant, retrieved);
            } catch (InvalidInputException e) {
                throw new InvalidInputException("row " + row.number() + ": " + e.getMessage());
            }
        });
        return acc.rows() - before;
    }

    private double[] probabilities(Row row) {
        if (probabilities.isEmpty()) {
            return null;
        }
        if (probabilities.size() == 1) {
            String column = probabilities.get(0);
            Object value = row.value(column);
            return value instanceof Number n ? new double[] {n.doubleValue()} : row.numbers(column);
        }
        double[] probs = new double[probabilities.size()];
        for (int i = 0; i < probs.length; i++) {
            probs[i] = row.number(probabilities.get(i));
        }
        return probs;
    }
}
