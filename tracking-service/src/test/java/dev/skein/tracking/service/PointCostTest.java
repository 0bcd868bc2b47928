package dev.skein.tracking.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a bulk answer's point is counted for: its key and run id in UTF-8 bytes, three times over. */
class PointCostTest {

    private static final String RUN = "0123456789abcdef0123456789abcdef";

    @Test
    void shouldCountKeysInUtf8Bytes() {
        assertThat(RunDataService.pointCost("loss", RUN)).isEqualTo(108 + 3 * (36 + 4 + 32));
        // three bytes per CJK character, four per character outside the BMP (a surrogate pair)
        assertThat(RunDataService.pointCost("损失", RUN)).isEqualTo(108 + 3 * (36 + 6 + 32));
        assertThat(RunDataService.pointCost("\uD83D\uDE00", RUN)).isEqualTo(108 + 3 * (36 + 4 + 32));
        assertThat(RunDataService.pointCost("é", RUN)).isEqualTo(108 + 3 * (36 + 2 + 32));
    }
}
