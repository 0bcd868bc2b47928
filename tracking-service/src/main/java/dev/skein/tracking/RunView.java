package dev.skein.tracking;

import java.util.List;

/**
 * A run with everything MLflow returns for it: latest metrics, params, tags, dataset inputs and
 * (MLflow 3) the logged models it used and produced.
 */
public record RunView(
        Run run,
        List<MetricPoint> metrics,
        List<KeyValue> params,
        List<KeyValue> tags,
        List<Dataset> inputs,
        List<String> modelInputs,
        List<ModelOutput> modelOutputs) {

    public RunView(
            Run run, List<MetricPoint> metrics, List<KeyValue> params, List<KeyValue> tags, List<Dataset> inputs) {
        this(run, metrics, params, tags, inputs, List.of(), List.of());
    }

    /** A logged model a run produced, at the step it was logged. */
    public record ModelOutput(String modelId, long step) {}
}
