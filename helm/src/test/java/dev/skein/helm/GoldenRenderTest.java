package dev.skein.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The examples of deploy/k8s rendered and compared with the renders checked in, so that any change of the
 * chart's output shows as a diff in review. After a deliberate change:
 * {@code mvn -pl helm test -Dskein.golden.update=true}, then review and commit the new files.
 */
class GoldenRenderTest {

    private static final Path GOLDEN = Chart.MODULE.resolve("src/test/resources/golden");

    @ParameterizedTest(name = "{0}")
    @CsvSource({"values-minimal.yaml, minimal.yaml", "values-production.yaml, production.yaml"})
    void shouldRenderAsTheCheckedInGolden(String values, String golden) throws IOException {
        String rendered = normalise(Chart.render(Chart.DEPLOY_K8S.resolve(values)));
        Path file = GOLDEN.resolve(golden);
        if (Boolean.getBoolean("skein.golden.update")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, rendered);
        }
        assertThat(file)
                .as("golden render %s (make it with -Dskein.golden.update=true)", file)
                .exists();
        assertThat(rendered)
                .as(
                        "render of deploy/k8s/%s differs from %s: if the change is meant, rerun with -Dskein.golden.update=true and review the diff",
                        values, file)
                .isEqualTo(normalise(Files.readString(file)));
    }

    /** Line endings and trailing blanks only: everything else of a render is deterministic. */
    static String normalise(String text) {
        return text.replace("\r\n", "\n").replaceAll("[ \t]+\n", "\n").strip() + "\n";
    }
}
