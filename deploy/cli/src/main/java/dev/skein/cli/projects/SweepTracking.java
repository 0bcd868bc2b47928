package dev.skein.cli.projects;

import java.util.Map;
import java.util.OptionalDouble;

/** The tracking calls a sweep makes besides its trials' own: the parent's tags and metric, the trials' metric. */
public interface SweepTracking extends Tracking {

    void setTags(String runId, Map<String, String> tags);

    void logMetric(String runId, String key, double value);

    /** The run's latest value of the metric ({@code runs/get}'s), or empty if it never logged it. */
    OptionalDouble latestMetric(String runId, String key);
}
