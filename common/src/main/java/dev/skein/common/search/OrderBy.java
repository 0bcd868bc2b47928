package dev.skein.common.search;

public record OrderBy(Field field, boolean ascending) {}
