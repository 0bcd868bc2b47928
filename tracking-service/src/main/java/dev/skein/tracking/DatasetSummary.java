package dev.skein.tracking;

/** A dataset some run of an experiment used, and the context it was used in (null when untagged). */
public record DatasetSummary(long experimentId, String name, String digest, String context) {}
