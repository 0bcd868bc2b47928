package dev.skein.cli.projects;

/** MLflow's run statuses a project run goes through. */
public enum RunStatus {
    RUNNING,
    FINISHED,
    FAILED,
    KILLED
}
