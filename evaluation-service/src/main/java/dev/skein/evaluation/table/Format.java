package dev.skein.evaluation.table;

import java.util.Locale;

/** The table formats Skein reads, chosen by the file's extension ({@link #fromPath}). */
public enum Format {
    /** Comma-separated values with a header row, RFC 4180 quoting, UTF-8. */
    CSV,
    /**
     * JSON as {@code mlflow.log_table} writes it ({@code DataFrame.to_json(orient="split", index=False)}):
     * {@code {"columns": [...], "data": [[...], ...]}}; an {@code "index"} member (pandas' split with the
     * index) is skipped; a top-level array of objects (pandas' {@code orient="records"}) is read too.
     */
    JSON,
    /** JSON Lines: one object per line, its keys the columns. */
    JSONL,
    /** Apache Parquet: the schema's top-level fields are the columns. */
    PARQUET;

    /** The format of a file by its extension: .csv, .json, .jsonl, .ndjson or .parquet (case-insensitive). */
    public static Format fromPath(String path) {
        String name = path.toLowerCase(Locale.ROOT);
        int query = name.indexOf('?');
        if (query >= 0) {
            name = name.substring(0, query);
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".json")) {
            return JSON;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return JSONL;
        }
        if (name.endsWith(".parquet")) {
            return PARQUET;
        }
        throw new TableException("cannot read " + path
                + ": the table's format is chosen by its extension (.csv, .json, .jsonl, .ndjson, .parquet)");
    }
}
