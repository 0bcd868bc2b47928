package dev.skein.evaluation.audit;

import java.util.ArrayList;
import java.util.List;

/** The verdict on every rule, in the rules' order. */
public record ValidationResult(List<RuleResult> rules) {

    /** The longest {@link #summary()}: it goes in a model version tag. */
    public static final int SUMMARY_MAX_CHARS = 500;

    public ValidationResult {
        rules = List.copyOf(rules);
    }

    /** Whether every rule passed (no rules: passed, as MLflow skips validation without thresholds). */
    public boolean passed() {
        return rules.stream().allMatch(RuleResult::passed);
    }

    public List<RuleResult> failures() {
        return rules.stream().filter(r -> !r.passed()).toList();
    }

    /**
     * The message of MLflow's {@code ModelValidationFailedException}: each failed rule's message, one a line;
     * empty when every rule passed.
     */
    public String failureMessage() {
        return String.join("\n", failures().stream().map(RuleResult::message).toList());
    }

    /**
     * The verdict in at most {@value #SUMMARY_MAX_CHARS} characters, for the model version tag {@code
     * skein.audit.report}: {@code passed 2/3 rules; failed: accuracy_score 0.71 < threshold 0.8}. Failures that do
     * not fit are counted at the end ({@code ; … 4 more}).
     */
    public String summary() {
        long passed = rules.stream().filter(RuleResult::passed).count();
        String head = "passed " + passed + "/" + rules.size() + " rules";
        List<String> reasons = new ArrayList<>();
        for (RuleResult r : failures()) {
            reasons.addAll(Validation.shortReasons(r));
        }
        if (reasons.isEmpty()) {
            return head;
        }
        StringBuilder s = new StringBuilder(head).append("; failed: ");
        for (int i = 0; i < reasons.size(); i++) {
            String reason = (i == 0 ? "" : "; ") + reasons.get(i);
            int left = reasons.size() - i - 1;
            String more = left == 0 ? "" : "; … " + left + " more";
            if (s.length() + reason.length() + more.length() <= SUMMARY_MAX_CHARS) {
                s.append(reason);
                continue;
            }
            if (i == 0) {
                // a single reason longer than the tag (a metric name near MLflow's 250-character limit): cut it
                int room = SUMMARY_MAX_CHARS - s.length() - more.length() - 1;
                s.append(reason, 0, Math.max(0, room)).append('…').append(more);
            } else {
                s.append("; … ").append(reasons.size() - i).append(" more");
            }
            break;
        }
        return s.toString();
    }
}
