package dev.skein.llmgateway.http;

/** Which API a route belongs to, and so the shape of its errors and streams. */
enum ApiStyle {
    /** MLflow 2.x's Deployments server: {@code /endpoints/…}, {@code /gateway/…}, {@code /api/2.0/endpoints/…}. */
    MLFLOW,
    /** OpenAI's API: {@code /v1/…}. */
    OPENAI
}
