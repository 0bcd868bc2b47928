package dev.skein.tracking.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * The steps get-history-bulk-interval answers, chosen as MLflow 2.17 chooses them
 * ({@code _get_sampled_steps_from_steps} and its caller in {@code handlers.py}): evenly by position
 * in the sorted list of distinct steps the runs logged, plus each run's first and last step when they
 * lie in the window. The list is held as disjoint ranges of consecutive steps, so a run that logged
 * every step from lo to hi costs one range, not one entry per step.
 */
final class StepSampler {

    /** The sorted distinct steps: ascending, disjoint, non-adjacent ranges [lo, hi]. */
    private final long[] los;

    private final long[] his;

    /** before[i]: how many steps lie in the ranges before range i. */
    private final long[] before;

    private StepSampler(List<long[]> ranges) {
        List<long[]> merged = new ArrayList<>();
        ranges.stream().sorted((a, b) -> Long.compare(a[0], b[0])).forEach(r -> {
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && r[0] <= last[1] + 1) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                merged.add(new long[] {r[0], r[1]});
            }
        });
        los = merged.stream().mapToLong(r -> r[0]).toArray();
        his = merged.stream().mapToLong(r -> r[1]).toArray();
        before = new long[los.length];
        for (int i = 1; i < los.length; i++) {
            before[i] = before[i - 1] + his[i - 1] - los[i - 1] + 1;
        }
    }

    /** The union of these ranges of consecutive steps ({@code {lo, hi}} each, in any order, may overlap). */
    static StepSampler ofRanges(List<long[]> ranges) {
        return new StepSampler(ranges);
    }

    /** How many steps are below {@code step} (Python's {@code bisect_left}). */
    long countBelow(long step) {
        int i = Arrays.binarySearch(los, step); // the range starting at step, or where it would go
        int r = i >= 0 ? i : -i - 2; // the last range starting below step (or at it: none of it below)
        if (i >= 0) {
            return before[i];
        }
        return r < 0 ? 0 : before[r] + Math.min(his[r], step - 1) - los[r] + 1;
    }

    /** The step at this position of the sorted list. */
    long at(long index) {
        int i = Arrays.binarySearch(before, index);
        int r = i >= 0 ? i : -i - 2;
        long step = los[r] + index - before[r];
        if (index < 0 || step > his[r]) {
            throw new IndexOutOfBoundsException(Long.toString(index));
        }
        return step;
    }

    /** How many steps there are. */
    long size() {
        int n = los.length;
        return n == 0 ? 0 : before[n - 1] + his[n - 1] - los[n - 1] + 1;
    }

    /** The highest step, or 0 when there is none (MLflow's default end_step). */
    long last() {
        return his.length == 0 ? 0 : his[his.length - 1];
    }

    /**
     * MLflow's {@code _get_sampled_steps_from_steps(start, end, max_results, steps)}: every step in
     * [start, end] if they are no more than {@code max}, else {@code max} of them at even positions
     * plus the last. Like MLflow, a position is kept only while it is below the number of steps in
     * the window (counted from the list's start), so a window far from the first step keeps fewer.
     */
    TreeSet<Long> sample(long start, long end, int max) {
        long startIdx = countBelow(start);
        long endIdx = end == Long.MAX_VALUE ? size() : countBelow(end + 1);
        TreeSet<Long> sampled = new TreeSet<>();
        long num = endIdx - startIdx;
        if (num <= 0) {
            return sampled;
        }
        if (num <= max) {
            for (long i = startIdx; i < endIdx; i++) {
                sampled.add(at(i));
            }
            return sampled;
        }
        double interval = (double) num / max;
        for (int i = 0; i < max; i++) {
            long idx = startIdx + (long) (i * interval);
            if (idx < num) {
                sampled.add(at(idx));
            }
        }
        sampled.add(at(endIdx - 1));
        return sampled;
    }
}
