package dev.skein.tracking;

/** One logged value of a metric. NaN and ±Infinity are ordinary values here and in PostgreSQL. */
public record MetricPoint(String key, double value, long timestamp, long step) {}
