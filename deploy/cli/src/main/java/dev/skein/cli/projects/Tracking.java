package dev.skein.cli.projects;

import java.util.Map;

/** The tracking calls a project run makes (the public API in the command line; a recorder in tests). */
public interface Tracking {

    /** Creates the run; returns its id. */
    String createRun(String experimentId, String runName, Map<String, String> tags);

    void logParams(String runId, Map<String, String> params);

    void setTerminated(String runId, RunStatus status);

    /** The experiment of that name, created if there is none (as {@code mlflow run --experiment-name}). */
    String experimentId(String name);

    /** The URI the run's process reaches the tracking server at. */
    String trackingUri();
}
