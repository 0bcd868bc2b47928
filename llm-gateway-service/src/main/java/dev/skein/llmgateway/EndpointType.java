package dev.skein.llmgateway;

import java.util.Optional;

/** MLflow 2.x's endpoint types ({@code endpoint_type}, formerly {@code route_type}). */
public enum EndpointType {
    COMPLETIONS("llm/v1/completions"),
    CHAT("llm/v1/chat"),
    EMBEDDINGS("llm/v1/embeddings");

    private final String wire;

    EndpointType(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static Optional<EndpointType> fromWire(Object value) {
        for (EndpointType type : values()) {
            if (type.wire.equals(value)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
