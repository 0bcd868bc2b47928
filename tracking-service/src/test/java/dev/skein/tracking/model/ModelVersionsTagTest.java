package dev.skein.tracking.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ModelVersionsTagTest {

    @Test
    void shouldWriteTheListAsMlflowsServerWritesIt() {
        assertThat(ModelVersionsTag.append(null, "iris", 1)).isEqualTo("[{\"name\": \"iris\", \"version\": 1}]");
        assertThat(ModelVersionsTag.append("", "iris", 1)).isEqualTo("[{\"name\": \"iris\", \"version\": 1}]");
        // Python's json.dumps escapes quotes, backslashes, control and non-ASCII characters
        assertThat(ModelVersionsTag.append(null, "a\"b\\c\u00e9\n", 2))
                .isEqualTo("[{\"name\": \"a\\\"b\\\\c\\u00e9\\n\", \"version\": 2}]");
    }

    @Test
    void shouldAppendToTheListAndNeverListAVersionTwice() {
        String one = ModelVersionsTag.append(null, "iris", 1);
        String two = ModelVersionsTag.append(one, "other", 3);
        assertThat(two).isEqualTo("[{\"name\": \"iris\", \"version\": 1}, {\"name\": \"other\", \"version\": 3}]");
        assertThat(ModelVersionsTag.append(two, "other", 3)).isNull();
        assertThat(ModelVersionsTag.append("[]", "iris", 1)).isEqualTo(one);
        // a version written as a string is another value to Python's comparison: appended
        assertThat(ModelVersionsTag.append("[{\"name\": \"iris\", \"version\": \"1\"}]", "iris", 1))
                .isEqualTo("[{\"name\": \"iris\", \"version\": \"1\"}, {\"name\": \"iris\", \"version\": 1}]");
    }

    @Test
    void shouldLeaveAValueThatIsNotAJsonListAlone() {
        assertThat(ModelVersionsTag.append("not json", "iris", 1)).isNull();
        assertThat(ModelVersionsTag.append("{\"name\": \"iris\"}", "iris", 1)).isNull();
    }
}
