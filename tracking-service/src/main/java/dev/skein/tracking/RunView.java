package dev.skein.tracking;

import java.util.List;

/** A run with everything MLflow returns for it: latest metrics, params, tags and dataset inputs. */
public record RunView(
        Run run, List<MetricPoint> metrics, List<KeyValue> params, List<KeyValue> tags, List<Dataset> inputs) {}
