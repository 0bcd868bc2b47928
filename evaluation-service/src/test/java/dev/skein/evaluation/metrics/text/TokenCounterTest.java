package dev.skein.evaluation.metrics.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.evaluation.metrics.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every text of {@code golden/text/token_count_golden.json} (written by token_count_golden.mjs with js-tiktoken's
 * BPE and cl100k_base ranks, split with tiktoken's own pattern): the same token ids, the count their number, and
 * tiktoken's refusal of a text holding a special token.
 */
class TokenCounterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> shouldEncodeEveryGoldenTextAsTiktokenDoes() throws IOException {
        List<JsonNode> cases = golden();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(50);
        TokenCounter counter = TokenCounter.cl100kBase();
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> check(counter, c)));
    }

    private static void check(TokenCounter counter, JsonNode c) {
        String text = c.get("text").asText();
        if (c.has("refused_special_token")) {
            String token = c.get("refused_special_token").asText();
            assertThatThrownBy(() -> counter.count(text))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("disallowed special token '" + token + "'");
            assertThatThrownBy(() -> counter.encode(text)).isInstanceOf(InvalidInputException.class);
            return;
        }
        int[] expected = ids(c.get("ids"));
        assertThat(counter.encode(text)).containsExactly(expected);
        assertThat(counter.count(text)).isEqualTo(expected.length);
    }

    @Test
    void shouldSplitTheWayTiktokenDoesWhereJsTiktokensPatternDiffers() throws IOException {
        // the golden cases whose ids js-tiktoken's stock pattern gets otherwise (U+0085 and U+FEFF as whitespace)
        List<JsonNode> differing =
                golden().stream().filter(c -> c.has("js_tiktoken_ids")).toList();
        assertThat(differing).isNotEmpty();
        TokenCounter counter = TokenCounter.cl100kBase();
        for (JsonNode c : differing) {
            int[] ids = counter.encode(c.get("text").asText());
            assertThat(ids).as(c.get("name").asText()).containsExactly(ids(c.get("ids")));
            assertThat(ids).as(c.get("name").asText()).isNotEqualTo(ids(c.get("js_tiktoken_ids")));
        }
    }

    @Test
    void shouldKnowCl100kBasesVocabularyAndSpecialTokens() {
        TokenCounter counter = TokenCounter.cl100kBase();
        assertThat(counter.specialTokens())
                .containsEntry("<|endoftext|>", 100257)
                .containsEntry("<|endofprompt|>", 100276)
                .hasSize(5);
        assertThat(TokenCounter.cl100kBase()).isSameAs(counter);
    }

    @Test
    void shouldMergeOnTheHeapExactlyAsByScanning() throws IOException {
        // long pieces are merged on a heap, short ones by tiktoken's scan: both ways on every golden text
        TokenCounter counter = TokenCounter.cl100kBase();
        TokenCounter heapOnly = counter.withScanLimit(0);
        TokenCounter scanOnly = counter.withScanLimit(Integer.MAX_VALUE);
        for (JsonNode c : golden()) {
            if (c.has("ids")) {
                String text = c.get("text").asText();
                int[] expected = ids(c.get("ids"));
                assertThat(heapOnly.encode(text)).as(c.get("name").asText()).containsExactly(expected);
                assertThat(scanOnly.encode(text)).as(c.get("name").asText()).containsExactly(expected);
            }
        }
    }

    @Test
    void shouldGiveTheSameIdsFromManyThreadsAtOnce() throws Exception {
        List<JsonNode> cases = golden().stream().filter(c -> c.has("ids")).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    for (JsonNode c : cases) {
                        int[] ids =
                                TokenCounter.cl100kBase().encode(c.get("text").asText());
                        if (!java.util.Arrays.equals(ids, ids(c.get("ids")))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<JsonNode> golden() throws IOException {
        try (InputStream in = TokenCounterTest.class.getResourceAsStream("/golden/text/token_count_golden.json")) {
            List<JsonNode> cases = new ArrayList<>();
            JSON.readTree(in).get("cases").forEach(cases::add);
            return cases;
        }
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }
}
