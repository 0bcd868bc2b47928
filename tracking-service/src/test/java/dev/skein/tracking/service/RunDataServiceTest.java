package dev.skein.tracking.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RunDataServiceTest {

    @Test
    void shouldSampleStepsEvenlyWithEnds() {
        assertThat(RunDataService.sample(new long[] {1, 2, 3}, 5)).containsExactly(1, 2, 3);
        assertThat(RunDataService.sample(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3))
                .containsExactly(0, 5, 10);
        assertThat(RunDataService.sample(new long[] {4, 8}, 1)).containsExactly(4);
    }
}
