package dev.skein.llmgateway.governance;

import java.math.BigDecimal;

/**
 * One limit or budget of an endpoint, counted per window in the shared {@code llmgateway.counters} table. A call
 * is refused (429) when its window already holds {@code maxRequests} calls, {@code maxTokens} tokens or
 * {@code maxUsd} of cost with action {@link Action#REJECT}; an {@link Action#ALERT} budget only sends an event
 * when it is reached. Tokens and cost are known once a call ends, so they count against the calls after it.
 *
 * @param counter the counter's name before the caller: {@code endpoint|scope|window} for a rate limit (rate
 *     limits of one scope and window share a row, each checking its own maxima); a budget has a row of its own
 *     ({@code endpoint|scope|calendar window|usd amount}), which also holds its alert
 * @param maxRequests 0: no request limit
 * @param maxTokens 0: no token limit
 * @param maxUsd null: no budget
 */
public record Rule(
        String counter,
        Scope scope,
        Window window,
        long maxRequests,
        long maxTokens,
        BigDecimal maxUsd,
        Action action) {

    public enum Scope {
        /** All calls of the endpoint. */
        ENDPOINT,
        /** Each caller's calls of the endpoint (MLflow's {@code limit}: per client). */
        CALLER
    }

    public enum Action {
        REJECT,
        ALERT
    }

    public static Rule of(
            String endpoint,
            Scope scope,
            Window window,
            long maxRequests,
            long maxTokens,
            BigDecimal maxUsd,
            Action action) {
        String counter = endpoint + "|" + scope.name().toLowerCase(java.util.Locale.ROOT) + "|" + window.spec();
        if (maxUsd != null) {
            // a REJECT budget's spend is the scope's in its period, whatever its amount: raising the amount keeps
            // what was spent (REJECT budgets of one scope and period share the row, each checked against its own
            // amount); an ALERT budget keeps a row of its own per amount, whose flag says it alerted
            counter = counter + "|calendar|"
                    + (action == Action.REJECT
                            ? "REJECT"
                            : maxUsd.stripTrailingZeros().toPlainString() + "usd|" + action.name());
        }
        return new Rule(counter, scope, window, maxRequests, maxTokens, maxUsd, action);
    }

    /** The counter's key for one caller: the caller counts only for a {@link Scope#CALLER} rule. */
    public String counterFor(String caller) {
        return scope == Scope.CALLER ? counter + "|" + caller : counter;
    }

    /** Whether a budget (a cost maximum) must refuse calls. */
    public boolean rejectsOnCost() {
        return maxUsd != null && action == Action.REJECT;
    }
}
