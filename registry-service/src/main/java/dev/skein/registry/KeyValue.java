package dev.skein.registry;

/** A tag. */
public record KeyValue(String key, String value) {}
