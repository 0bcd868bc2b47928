package dev.skein.tracking.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** MLflow's {@code test_get_sampled_steps_from_steps} cases, and the list held as ranges or single steps. */
class StepSamplerTest {

    private static StepSampler steps(LongStream steps) {
        List<long[]> single = new ArrayList<>();
        steps.forEach(s -> single.add(new long[] {s, s}));
        return StepSampler.ofRanges(single);
    }

    @Test
    void shouldSampleAsMlflowDoes() {
        // evenly spaced, first and last included although that makes max_results + 1
        assertThat(steps(LongStream.range(0, 10)).sample(0, 10, 5)).containsExactly(0L, 2L, 4L, 6L, 8L, 9L);
        // fewer steps in the window than max_results: all of them
        assertThat(steps(LongStream.range(0, 10)).sample(4, 8, 5)).containsExactly(4L, 5L, 6L, 7L, 8L);
        // steps logged at intervals
        assertThat(steps(LongStream.rangeClosed(0, 100).filter(s -> s % 20 == 0))
                        .sample(0, 100, 5))
                .containsExactly(0L, 20L, 40L, 60L, 80L, 100L);
        assertThat(steps(LongStream.rangeClosed(0, 1000).filter(s -> s % 10 == 0))
                        .sample(0, 1000, 5))
                .containsExactly(0L, 200L, 400L, 600L, 800L, 1000L);
    }

    @Test
    void shouldChooseTheSameStepsFromRangesAsFromTheListedSteps() {
        StepSampler ranges = StepSampler.ofRanges(List.of(new long[] {0, 9}, new long[] {5, 19}, new long[] {30, 39}));
        StepSampler listed = steps(LongStream.concat(LongStream.range(0, 20), LongStream.range(30, 40)));
        assertThat(ranges.size()).isEqualTo(30);
        assertThat(ranges.countBelow(25)).isEqualTo(20);
        assertThat(ranges.at(20)).isEqualTo(30);
        for (int[] window : new int[][] {{0, 39}, {3, 33}, {15, 35}, {0, 0}, {20, 29}}) {
            for (int max = 1; max <= 12; max++) {
                assertThat(ranges.sample(window[0], window[1], max))
                        .as("window %s..%s, max %s", window[0], window[1], max)
                        .isEqualTo(listed.sample(window[0], window[1], max));
            }
        }
    }

    @Test
    void shouldKeepOnlyPositionsBelowTheWindowsCountAsMlflowDoes() {
        // MLflow compares start_idx + offset with the number of steps in the window, not its end:
        // a window far from the first step keeps fewer positions (here only its first and last)
        assertThat(steps(LongStream.range(0, 1000)).sample(100, 200, 3)).containsExactly(100L, 200L);
        assertThat(steps(LongStream.range(0, 10)).sample(0, 0, 5)).containsExactly(0L);
        assertThat(steps(LongStream.empty()).sample(0, 0, 5)).isEmpty();
    }
}
