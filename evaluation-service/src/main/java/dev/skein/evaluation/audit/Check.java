package dev.skein.evaluation.audit;

/** The part of a rule that failed; a rule can fail several ({@link #THRESHOLD} with a change check). */
public enum Check {
    /** The candidate's metrics lack the rule's metric (MLflow's {@code missing_candidate}); nothing else is checked. */
    MISSING_CANDIDATE,
    /** The value is on the wrong side of {@code threshold}. */
    THRESHOLD,
    /**
     * The rule has {@code min_absolute_change} or {@code min_relative_change} and no baseline was given. MLflow
     * refuses such a call before evaluating ({@code The baseline model argument is None...}); Skein fails the rule.
     */
    NO_BASELINE,
    /** A baseline was given without the rule's metric (MLflow's {@code missing_baseline}). */
    MISSING_BASELINE,
    /** The value does not beat the baseline by {@code min_absolute_change}. */
    MIN_ABSOLUTE_CHANGE,
    /** The value does not beat the baseline by {@code min_relative_change} (of the baseline). */
    MIN_RELATIVE_CHANGE
}
