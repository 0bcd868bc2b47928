package dev.skein.tracking;

import java.util.List;

public record ExperimentView(Experiment experiment, List<KeyValue> tags) {}
