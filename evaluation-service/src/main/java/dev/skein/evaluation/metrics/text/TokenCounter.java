package dev.skein.evaluation.metrics.text;

import dev.skein.evaluation.metrics.InvalidInputException;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MLflow's {@code token_count}: the number of tiktoken {@code cl100k_base} tokens of a text, as
 * {@code len(tiktoken.get_encoding("cl100k_base").encode(text))} counts them (MLflow 2.17.2's
 * {@code _token_count_eval_fn}). A text holding a special token's text (such as {@code <|endoftext|>}) is refused,
 * as tiktoken's {@code encode} refuses it by default, which fails MLflow's whole evaluation; a prediction that is
 * not a string has no count (MLflow's score is {@code None}), which is the caller's to decide before calling.
 *
 * <p>The text is split with tiktoken's cl100k_base pattern (tiktoken 0.8 and later, the Rust regex semantics:
 * Unicode {@code \s}, Unicode case folding in the contractions, {@code $} as the end of the text), each piece's
 * UTF-8 bytes then merged by byte-level BPE: always the adjacent pair of lowest rank, the leftmost of equal ones.
 * The vocabulary is loaded once, on first use; the instance is immutable and safe to share between threads.
 */
public final class TokenCounter {

    private static final String WS = "\\p{IsWhite_Space}";

    /**
     * tiktoken's {@code '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$
     * |\s*[\r\n]|\s+(?!\S)|\s} in Java's syntax: {@code \s} is Unicode's White_Space (Java's own is ASCII), the
     * contractions fold case as Unicode does (so {@code 'ſ} is a contraction, as in Rust), and {@code $} is
     * {@code \z} (Java's {@code $} also matches before a final line terminator).
     */
    static final Pattern SPLIT = Pattern.compile("'(?iu:[sdmt]|ll|ve|re)"
            + "|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++"
            + "|\\p{N}{1,3}+"
            + "| ?[^" + WS + "\\p{L}\\p{N}]++[\\r\\n]*+"
            + "|[" + WS + "]++\\z"
            + "|[" + WS + "]*[\\r\\n]"
            + "|[" + WS + "]+(?![^" + WS + "])"
            + "|[" + WS + "]");

    /** Pieces up to this many bytes are merged by scanning all pairs (tiktoken's way); longer ones on a heap. */
    private static final int SCAN_LIMIT = 64;

    private static volatile TokenCounter cl100kBase;

    private final TokenCounterRanks ranks;
    private final String[] specialTokens;
    private final int scanLimit;

    private TokenCounter(TokenCounterRanks ranks, int scanLimit) {
        this.ranks = ranks;
        this.specialTokens = ranks.specialTokens().keySet().toArray(String[]::new);
        this.scanLimit = scanLimit;
    }

    /** The same vocabulary with another scanning limit: 0 merges every piece on the heap (for tests). */
    TokenCounter withScanLimit(int limit) {
        return new TokenCounter(ranks, limit);
    }

    /**
     * The cl100k_base counter, its vocabulary loaded on the first call (a few hundred milliseconds).
     *
     * @throws IllegalStateException the ranks are not in the jar (a build that skipped the tokenizer's npm install)
     */
    public static TokenCounter cl100kBase() {
        TokenCounter counter = cl100kBase;
        if (counter == null) {
            synchronized (TokenCounter.class) {
                counter = cl100kBase;
                if (counter == null) {
                    counter = new TokenCounter(TokenCounterRanks.load(), SCAN_LIMIT);
                    cl100kBase = counter;
                }
            }
        }
        return counter;
    }

    /**
     * The number of tokens of {@code text}.
     *
     * @throws InvalidInputException the text holds a special token's text (tiktoken's {@code ValueError})
     */
    public int count(String text) {
        Tokens tokens = new Tokens(false);
        encode(text, tokens);
        return tokens.size;
    }

    /**
     * The token ids of {@code text}.
     *
     * @throws InvalidInputException the text holds a special token's text (tiktoken's {@code ValueError})
     */
    public int[] encode(String text) {
        Tokens tokens = new Tokens(true);
        encode(text, tokens);
        return Arrays.copyOf(tokens.ids, tokens.size);
    }

    /** The special tokens' texts and ids: never produced by {@link #encode}, whose input may not hold them. */
    public Map<String, Integer> specialTokens() {
        return ranks.specialTokens();
    }

    /** Bytes of heap the vocabulary holds. */
    public long vocabularyHeapBytes() {
        return ranks.heapBytes();
    }

    private void encode(String text, Tokens out) {
        refuseSpecialTokens(text);
        String checked = replaceLoneSurrogates(text);
        Matcher pieces = SPLIT.matcher(checked);
        byte[] piece = new byte[64];
        while (pieces.find()) {
            int start = pieces.start();
            int end = pieces.end();
            if (piece.length < 3 * (end - start)) {
                piece = new byte[3 * (end - start)];
            }
            int length = utf8(checked, start, end, piece);
            int whole = ranks.rank(piece, 0, length);
            if (whole != TokenCounterRanks.NONE) {
                out.add(whole);
            } else if (length <= scanLimit) {
                mergeByScanning(piece, length, out);
            } else {
                mergeOnHeap(piece, length, out);
            }
        }
    }

    /**
     * The UTF-8 bytes of {@code text[from, to)} into {@code bytes} (at least 3 per char), their number; the text
     * holds no lone surrogate.
     */
    private static int utf8(String text, int from, int to, byte[] bytes) {
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes[n++] = (byte) c;
            } else if (c < 0x800) {
                bytes[n++] = (byte) (0xc0 | (c >> 6));
                bytes[n++] = (byte) (0x80 | (c & 0x3f));
            } else if (Character.isHighSurrogate(c)) {
                int cp = Character.toCodePoint(c, text.charAt(++i));
                bytes[n++] = (byte) (0xf0 | (cp >> 18));
                bytes[n++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                bytes[n++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                bytes[n++] = (byte) (0x80 | (cp & 0x3f));
            } else {
                bytes[n++] = (byte) (0xe0 | (c >> 12));
                bytes[n++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                bytes[n++] = (byte) (0x80 | (c & 0x3f));
            }
        }
        return n;
    }

    /** tiktoken refuses a text holding any special token's text, naming the first one. */
    private void refuseSpecialTokens(String text) {
        if (text.indexOf("<|") < 0) {
            return;
        }
        int first = -1;
        String found = null;
        for (String special : specialTokens) {
            int at = text.indexOf(special);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
                found = special;
            }
        }
        if (found != null) {
            throw new InvalidInputException("Encountered text corresponding to disallowed special token '" + found
                    + "' (tiktoken's encode refuses it, so MLflow's token_count fails the evaluation)");
        }
    }

    /**
     * A lone surrogate becomes U+FFFD, as tiktoken's fallback for Python strings that are not valid UTF-8 does
     * (a proper pair stays the code point it spells, as there).
     */
    private static String replaceLoneSurrogates(String text) {
        StringBuilder fixed = null;
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            boolean lone = false;
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1))) {
                    if (fixed != null) {
                        fixed.append(c).append(text.charAt(i + 1));
                    }
                    i++;
                    continue;
                }
                lone = true;
            } else if (Character.isLowSurrogate(c)) {
                lone = true;
            }
            if (lone && fixed == null) {
                fixed = new StringBuilder(length).append(text, 0, i);
            }
            if (fixed != null) {
                fixed.append(lone ? '\uFFFD' : c);
            }
        }
        return fixed == null ? text : fixed.toString();
    }

    /**
     * tiktoken's merge loop: parts are runs of the piece's bytes, {@code pairRanks[i]} the rank of parts i and i+1
     * joined; the lowest (leftmost of equals) is merged until no adjacent pair is a token. O(n²) but allocation-
     * light, the faster way for the short pieces nearly all text splits into.
     */
    private void mergeByScanning(byte[] piece, int length, Tokens out) {
        int parts = length;
        int[] starts = new int[parts + 1]; // starts[parts] = length
        int[] pairRanks = new int[parts];
        for (int i = 0; i <= parts; i++) {
            starts[i] = i;
        }
        for (int i = 0; i < parts - 1; i++) {
            pairRanks[i] = ranks.rank(piece, starts[i], starts[i + 2]);
        }
        while (parts > 1) {
            int best = -1;
            int bestRank = TokenCounterRanks.NONE;
            for (int i = 0; i < parts - 1; i++) {
                if (pairRanks[i] < bestRank) {
                    bestRank = pairRanks[i];
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            // part best absorbs part best + 1
            System.arraycopy(starts, best + 2, starts, best + 1, parts - best - 1);
            System.arraycopy(pairRanks, best + 1, pairRanks, best, parts - best - 2);
            parts--;
            pairRanks[best] =
                    best + 1 < parts ? ranks.rank(piece, starts[best], starts[best + 2]) : TokenCounterRanks.NONE;
            if (best > 0) {
                pairRanks[best - 1] = ranks.rank(piece, starts[best - 1], starts[best + 1]);
            }
        }
        for (int i = 0; i < parts; i++) {
            out.add(ranks.rank(piece, starts[i], starts[i + 1]));
        }
    }

    /**
     * The same merges in the same order for a long piece, in O(n log n): parts are a linked list over byte offsets
     * (a part is named by its first byte), candidate pairs sit in a min-heap keyed by (rank, offset) so the lowest
     * rank and then the leftmost comes first; an entry whose part has since changed is stale (a part's pair only
     * grows, so its rank then differs) and skipped.
     */
    private void mergeOnHeap(byte[] piece, int length, Tokens out) {
        int n = length;
        int[] next = new int[n];
        int[] prev = new int[n];
        int[] pairRanks = new int[n];
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
        }
        for (int i = 0; i < n - 1; i++) {
            pairRanks[i] = ranks.rank(piece, i, i + 2);
            if (pairRanks[i] != TokenCounterRanks.NONE) {
                heap.push(key(pairRanks[i], i));
            }
        }
        pairRanks[n - 1] = TokenCounterRanks.NONE;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int part = (int) top;
            int rank = (int) (top >>> 32);
            if (pairRanks[part] != rank) {
                continue;
            }
            int absorbed = next[part];
            int after = next[absorbed];
            next[part] = after;
            if (after < n) {
                prev[after] = part;
            }
            pairRanks[absorbed] = TokenCounterRanks.NONE;
            pairRanks[part] = after < n ? ranks.rank(piece, part, next[after]) : TokenCounterRanks.NONE;
            if (pairRanks[part] != TokenCounterRanks.NONE) {
                heap.push(key(pairRanks[part], part));
            }
            int before = prev[part];
            if (before >= 0) {
                pairRanks[before] = ranks.rank(piece, before, after);
                if (pairRanks[before] != TokenCounterRanks.NONE) {
                    heap.push(key(pairRanks[before], before));
                }
            }
        }
        for (int part = 0; part < n; part = next[part]) {
            out.add(ranks.rank(piece, part, next[part]));
        }
    }

    private static long key(int rank, int offset) {
        return ((long) rank << 32) | offset;
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] keys;
        private int size;

        LongHeap(int capacity) {
            keys = new long[Math.max(capacity, 4)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long key) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (keys[parent] <= key) {
                    break;
                }
                keys[i] = keys[parent];
                i = parent;
            }
            keys[i] = key;
        }

        long pop() {
            long top = keys[0];
            long last = keys[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && keys[child + 1] < keys[child]) {
                    child++;
                }
                if (keys[child] >= last) {
                    break;
                }
                keys[i] = keys[child];
                i = child;
            }
            keys[i] = last;
            return top;
        }
    }

    /** The ids produced, or only their number. */
    private static final class Tokens {
        int[] ids;
        int size;

        Tokens(boolean keepIds) {
            ids = keepIds ? new int[16] : null;
        }

        void add(int id) {
            if (ids != null) {
                if (size == ids.length) {
                    ids = Arrays.copyOf(ids, size * 2);
                }
                ids[size] = id;
            }
            size++;
        }
    }
}
