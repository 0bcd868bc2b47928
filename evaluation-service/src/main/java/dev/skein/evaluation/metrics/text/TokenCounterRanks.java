package dev.skein.evaluation.metrics.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The cl100k_base vocabulary: byte sequence → rank, looked up on a slice of a byte array without allocating. All
 * token bytes live in one pool with an open-addressing table of entry indexes over it (about 2.3 MB of heap for
 * cl100k_base's 100,256 tokens, measured in TokenCounterTest's report). Immutable once built, so shared by every
 * thread.
 *
 * <p>Read from js-tiktoken's {@code dist/ranks/cl100k_base.js} (copied into the jar by the build): {@code export
 * default {"pat_str": ..., "special_tokens": {...}, "bpe_ranks": "..."}} where {@code bpe_ranks} holds lines of
 * {@code <marker> <offset> <base64 token>...}, the n-th token of a line having rank offset + n.
 */
final class TokenCounterRanks {

    static final String RESOURCE = "/dev/skein/evaluation/metrics/text/cl100k_base.js";

    static final int NONE = Integer.MAX_VALUE;

    private final byte[] pool;
    private final int[] starts; // entry e's bytes: pool[starts[e] .. starts[e + 1])
    private final int[] ranks; // entry e's rank
    private final int[] table; // entry index + 1, 0 = empty
    private final int mask;
    private final int[] byteRanks = new int[256];
    private final Map<String, Integer> specialTokens;

    private TokenCounterRanks(byte[] pool, int[] starts, int[] ranks, Map<String, Integer> specialTokens) {
        this.pool = pool;
        this.starts = starts;
        this.ranks = ranks;
        this.specialTokens = specialTokens;
        int entries = ranks.length;
        int capacity = Integer.highestOneBit(Math.max(16, entries * 2)) << 1;
        this.table = new int[capacity];
        this.mask = capacity - 1;
        Arrays.fill(byteRanks, NONE);
        for (int e = 0; e < entries; e++) {
            int from = starts[e];
            int to = starts[e + 1];
            int slot = hash(pool, from, to) & mask;
            while (table[slot] != 0) {
                int other = table[slot] - 1;
                if (equalSlice(pool, from, to, other)) {
                    throw new IllegalStateException("cl100k_base ranks: token of rank " + ranks[e] + " appears twice");
                }
                slot = (slot + 1) & mask;
            }
            table[slot] = e + 1;
            if (to - from == 1) {
                byteRanks[pool[from] & 0xff] = ranks[e];
            }
        }
        for (int b = 0; b < 256; b++) {
            if (byteRanks[b] == NONE) {
                throw new IllegalStateException("cl100k_base ranks: no token for the single byte " + b);
            }
        }
    }

    /** The rank of {@code bytes[from, to)}, or {@link #NONE}. */
    int rank(byte[] bytes, int from, int to) {
        if (to - from == 1) {
            return byteRanks[bytes[from] & 0xff];
        }
        int slot = hash(bytes, from, to) & mask;
        while (true) {
            int e = table[slot] - 1;
            if (e < 0) {
                return NONE;
            }
            if (equalSlice(bytes, from, to, e)) {
                return ranks[e];
            }
            slot = (slot + 1) & mask;
        }
    }

    int size() {
        return ranks.length;
    }

    /** The special tokens' texts and ids, in the file's order. */
    Map<String, Integer> specialTokens() {
        return specialTokens;
    }

    /** Bytes of heap held by the arrays (not counting object headers). */
    long heapBytes() {
        return pool.length + 4L * (starts.length + ranks.length + table.length + byteRanks.length);
    }

    private boolean equalSlice(byte[] bytes, int from, int to, int entry) {
        int start = starts[entry];
        int length = starts[entry + 1] - start;
        return length == to - from && Arrays.equals(bytes, from, to, pool, start, start + length);
    }

    private static int hash(byte[] bytes, int from, int to) {
        int h = 0x811c9dc5;
        for (int i = from; i < to; i++) {
            h = (h ^ (bytes[i] & 0xff)) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }

    static TokenCounterRanks load() {
        byte[] file;
        try (InputStream in = TokenCounterRanks.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the cl100k_base ranks (" + RESOURCE + ") are not on the class path:"
                        + " evaluation-service's build copies them from js-tiktoken, installed by npm ci in"
                        + " src/main/tokenizer; build the module without -Dskein.tokenizer.skip=true once");
            }
            file = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the cl100k_base ranks (" + RESOURCE + ")", e);
        }
        String text = new String(file, StandardCharsets.UTF_8);
        int open = text.indexOf('{');
        int close = text.lastIndexOf('}');
        if (open < 0 || close < open) {
            throw new IllegalStateException("the cl100k_base ranks (" + RESOURCE + ") hold no object");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text.substring(open, close + 1));
        } catch (IOException e) {
            throw new IllegalStateException("the cl100k_base ranks (" + RESOURCE + ") are not JSON", e);
        }
        JsonNode bpe = root.get("bpe_ranks");
        JsonNode special = root.get("special_tokens");
        if (bpe == null || !bpe.isTextual() || special == null || !special.isObject()) {
            throw new IllegalStateException(
                    "the cl100k_base ranks (" + RESOURCE + ") lack bpe_ranks or special_tokens");
        }
        return parse(bpe.asText(), special);
    }

    private static TokenCounterRanks parse(String bpeRanks, JsonNode special) {
        Base64.Decoder base64 = Base64.getDecoder();
        byte[] pool = new byte[1 << 20];
        int poolSize = 0;
        int[] starts = new int[1 << 17];
        int[] ranks = new int[1 << 17];
        int entries = 0;
        for (String line : bpeRanks.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split(" ");
            if (fields.length < 2) {
                throw new IllegalStateException("cl100k_base ranks: a line without an offset");
            }
            int offset = Integer.parseInt(fields[1]);
            for (int i = 2; i < fields.length; i++) {
                byte[] token = base64.decode(fields[i]);
                if (entries + 2 > starts.length) {
                    starts = Arrays.copyOf(starts, starts.length * 2);
                    ranks = Arrays.copyOf(ranks, ranks.length * 2);
                }
                if (poolSize + token.length > pool.length) {
                    pool = Arrays.copyOf(pool, Math.max(pool.length * 2, poolSize + token.length));
                }
                System.arraycopy(token, 0, pool, poolSize, token.length);
                starts[entries] = poolSize;
                ranks[entries] = offset + i - 2;
                poolSize += token.length;
                entries++;
            }
        }
        starts[entries] = poolSize;
        Map<String, Integer> specials = new LinkedHashMap<>();
        special.fields()
                .forEachRemaining(e -> specials.put(e.getKey(), e.getValue().asInt()));
        return new TokenCounterRanks(
                Arrays.copyOf(pool, poolSize),
                Arrays.copyOf(starts, entries + 1),
                Arrays.copyOf(ranks, entries),
                Collections.unmodifiableMap(specials));
    }
}
