package dev.skein.common.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import org.junit.jupiter.api.Test;

class InputsTest {

    @Test
    void shouldNormalizePathsLikePython() {
        assertThat(Inputs.normalizePath("a/b")).isEqualTo("a/b");
        assertThat(Inputs.normalizePath("a//b")).isEqualTo("a/b");
        assertThat(Inputs.normalizePath("a/./b/")).isEqualTo("a/b");
        assertThat(Inputs.normalizePath("a/../b")).isEqualTo("b");
        assertThat(Inputs.normalizePath("../a")).isEqualTo("../a");
        assertThat(Inputs.normalizePath("/a/../..")).isEqualTo("/");
        assertThat(Inputs.normalizePath("")).isEqualTo(".");
    }

    @Test
    void shouldAcceptMlflowKeysAndRefuseUnstableOnes() {
        for (String ok : new String[] {"loss", "train/loss", "a.b-c d_e", "épsilon"}) {
            assertThatCode(() -> Inputs.key("Metric", ok)).as(ok).doesNotThrowAnyException();
        }
        for (String bad : new String[] {"../x", "/x", "x/", "x//y", "./x", "x/../y", "x*y", "x:y", ""}) {
            assertThatThrownBy(() -> Inputs.key("Metric", bad)).as(bad).isInstanceOf(ApiException.class);
        }
    }
}
