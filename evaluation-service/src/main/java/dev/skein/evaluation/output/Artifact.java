package dev.skein.evaluation.output;

/** A file to log under the run's artifacts. */
public record Artifact(String path, String contentType, byte[] content) {}
