package dev.skein.llmgateway.config;

/** The gateway YAML is refused; the message says why (never with a key's value in it). */
public class InvalidConfigException extends RuntimeException {

    public InvalidConfigException(String message) {
        super(message);
    }
}
