package dev.skein.llmgateway.provider;

/**
 * A request the endpoint's provider cannot take as it is (a parameter it has no counterpart for, a tool call it
 * cannot translate): answered 422 on MLflow's routes, 400 on OpenAI's, before anything is sent.
 */
public class RefusedRequest extends RuntimeException {
    public RefusedRequest(String message) {
        super(message, null, false, false);
    }
}
