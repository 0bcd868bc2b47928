package dev.skein.llmgateway.governance;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** A model's price in USD per million input and output tokens (the endpoints file's {@code prices}). */
public record Price(BigDecimal inputPerMillion, BigDecimal outputPerMillion) {

    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    /** The cost of a call; tokens not reported count as none. */
    public BigDecimal cost(Long inputTokens, Long outputTokens) {
        BigDecimal in = inputPerMillion.multiply(BigDecimal.valueOf(inputTokens == null ? 0 : inputTokens));
        BigDecimal out = outputPerMillion.multiply(BigDecimal.valueOf(outputTokens == null ? 0 : outputTokens));
        return in.add(out).divide(MILLION, 10, RoundingMode.HALF_UP);
    }
}
