package dev.skein.llmgateway.governance;

import java.time.Instant;
import java.util.List;

/**
 * A call let through by its endpoint's rules, with the counter rows it was counted in: its tokens and cost are
 * added to the same rows when it ends, so a call that crosses a window's end still counts where it began.
 */
public record Admission(List<Counted> counted) {

    public static final Admission NONE = new Admission(List.of());

    /** This admission and {@code other}'s (a fallback's, admitted when the call turned to it): both rows' counts. */
    public Admission and(Admission other) {
        if (other.counted.isEmpty()) {
            return this;
        }
        List<Counted> both = new java.util.ArrayList<>(counted);
        both.addAll(other.counted);
        return new Admission(List.copyOf(both));
    }

    /** One rule's counter row: its key and window. */
    public record Counted(Rule rule, String counter, Instant windowStart) {}
}
