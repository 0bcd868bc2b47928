package dev.skein.tracking.search;

public record OrderBy(Field field, boolean ascending) {}
