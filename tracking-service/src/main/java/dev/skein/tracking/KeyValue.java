package dev.skein.tracking;

/** A param, a tag or an input tag. */
public record KeyValue(String key, String value) {}
