package dev.skein.tracking.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import org.junit.jupiter.api.Test;

class ValidationTest {

    @Test
    void shouldNormalizePathsLikePython() {
        assertThat(Validation.normalizePath("a/b")).isEqualTo("a/b");
        assertThat(Validation.normalizePath("a//b")).isEqualTo("a/b");
        assertThat(Validation.normalizePath("a/./b/")).isEqualTo("a/b");
        assertThat(Validation.normalizePath("a/../b")).isEqualTo("b");
        assertThat(Validation.normalizePath("../a")).isEqualTo("../a");
        assertThat(Validation.normalizePath("/a/../..")).isEqualTo("/");
        assertThat(Validation.normalizePath("")).isEqualTo(".");
    }

    @Test
    void shouldAcceptMlflowKeysAndRefuseUnstableOnes() {
        for (String ok : new String[] {"loss", "train/loss", "a.b-c d_e", "épsilon"}) {
            assertThatCode(() -> Validation.key("Metric", ok)).as(ok).doesNotThrowAnyException();
        }
        for (String bad : new String[] {"../x", "/x", "x/", "x//y", "./x", "x/../y", "x*y", "x:y", ""}) {
            assertThatThrownBy(() -> Validation.key("Metric", bad)).as(bad).isInstanceOf(ApiException.class);
        }
    }

    @Test
    void shouldSampleStepsEvenlyWithEnds() {
        assertThat(RunDataService.sample(new long[] {1, 2, 3}, 5)).containsExactly(1, 2, 3);
        assertThat(RunDataService.sample(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3))
                .containsExactly(0, 5, 10);
        assertThat(RunDataService.sample(new long[] {4, 8}, 1)).containsExactly(4);
    }
}
