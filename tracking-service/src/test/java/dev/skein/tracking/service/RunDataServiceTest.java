package dev.skein.tracking.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RunDataServiceTest {

    @Test
    void shouldSpreadTargetStepsEvenlyWithEnds() {
        assertThat(RunDataService.targets(1, 3, 5)).containsExactly(1, 2, 3);
        assertThat(RunDataService.targets(0, 10, 3)).containsExactly(0, 5, 10);
        assertThat(RunDataService.targets(4, 8, 1)).containsExactly(4);
        assertThat(RunDataService.targets(0, 999_999, 320))
                .hasSize(320)
                .startsWith(0, 3135)
                .endsWith(999_999)
                .isSorted()
                .doesNotHaveDuplicates();
    }
}
