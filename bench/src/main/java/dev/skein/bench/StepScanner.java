package dev.skein.bench;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;

/**
 * Finds {@code "step":N} in a metric history's JSON, fed whole or in pieces as it streams in, and
 * marks each step in a set: a step seen twice, or one outside {@code [0, points)}, fails.
 */
final class StepScanner {
    private static final byte[] NEEDLE = "\"step\":".getBytes(StandardCharsets.UTF_8);
    private final BitSet seen;
    private final int points;
    private int matched;
    private long number = -1;

    StepScanner(BitSet seen, int points) {
        this.seen = seen;
        this.points = points;
    }

    void feed(byte[] b) {
        feed(b, b.length);
    }

    void feed(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            byte c = b[i];
            if (number >= 0) {
                if (c >= '0' && c <= '9') {
                    number = number * 10 + (c - '0');
                    continue;
                }
                mark(number);
                number = -1;
            }
            if (c == NEEDLE[matched]) {
                matched++;
                if (matched == NEEDLE.length) {
                    matched = 0;
                    number = 0;
                }
            } else {
                matched = c == NEEDLE[0] ? 1 : 0;
            }
        }
    }

    private void mark(long step) {
        if (step >= points || seen.get((int) step)) {
            throw new IllegalStateException("step " + step + " read twice or unknown");
        }
        seen.set((int) step);
    }
}
