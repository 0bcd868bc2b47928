package dev.skein.evaluation.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A classifier's kept rows once they pass its memory budget: written to temporary files in chunks, and read back
 * as streams, so that the ranking metrics of any number of rows take a bounded heap.
 *
 * <p>Each chunk is written twice: once as it came (the target's label id, the probabilities, the weight: the
 * table's order, for {@code log_loss} and the row-sum check) to one file, and once per score sorted by that score
 * (highest first; among tied scores the row further down the table first, the order numpy's
 * {@code argsort(score)[::-1]} gives the lift curves) as a run of (score, label id, weight) appended to that
 * score's file. A score is a probability column, or for one column P(last label) and {@code 1 − P(last label)}
 * (predict_proba's first column, which only the lift curves read). A k-way merge of a score's runs is the rows
 * in that order, which {@link CurveWalk} and {@link LiftWalk} read once.
 *
 * <p>Disk: {@code 4 + 8·w (+ 8 weighted)} bytes a row as it came plus {@code 12 (+ 8)} a row per score ({@code
 * max(2, w)} scores for {@code w} probability columns): 36 bytes a row for one column unweighted. The files live in
 * a directory of their own under {@code java.io.tmpdir}, removed by {@link #close}.
 */
final class SpilledRows implements AutoCloseable {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(SpilledRows.class);

    /** Smallest read buffer of one run while merging (records of up to 20 bytes). */
    static final int MIN_RUN_BUFFER = 4096;

    /** Largest: reads of 64 KiB are as fast as larger ones from the page cache, and the merge's heap stays small. */
    static final int MAX_RUN_BUFFER = 1 << 16;

    private static final int WRITE_BUFFER = 1 << 16;

    private final Path directory;
    private final int width;
    private final boolean weighted;
    private final int scores;
    private final FileChannel raw;
    private final FileChannel[] sorted;
    private final long budget;
    private final long maxDiskBytes;
    /** The first row of each run, then the rows written in all. */
    private final List<Long> runStarts = new ArrayList<>();

    private long rows;
    private final ByteBuffer out = ByteBuffer.allocate(WRITE_BUFFER);
    private double[] scratchScores = new double[0];
    private int[] scratchOrder = new int[0];
    private int[] scratchMerge = new int[0];
    private boolean closed;

    /**
     * {@code budget}: the heap the merge's read buffers may take together (each within its bounds); the files go
     * to a new directory in {@code parent}.
     */
    SpilledRows(int width, boolean weighted, long budget, Path parent, long maxDiskBytes) {
        this.maxDiskBytes = maxDiskBytes;
        this.width = width;
        this.weighted = weighted;
        this.scores = Math.max(2, width);
        this.budget = budget;
        Path dir = null;
        FileChannel rawChannel = null;
        FileChannel[] channels = new FileChannel[scores];
        try {
            dir = Files.createTempDirectory(parent, "skein-evaluation-");
            rawChannel = open(dir.resolve("rows"));
            for (int c = 0; c < scores; c++) {
                channels[c] = open(dir.resolve("score-" + c));
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(rawChannel, channels, dir);
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
        this.directory = dir;
        this.raw = rawChannel;
        this.sorted = channels;
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    Path directory() {
        return directory;
    }

    long rows() {
        return rows;
    }

    int runs() {
        return runStarts.size();
    }

    private int rawRecord() {
        return 4 + 8 * width + (weighted ? 8 : 0);
    }

    private int sortedRecord() {
        return 12 + (weighted ? 8 : 0);
    }

    /**
     * Writes rows {@code 0..n-1} (label ids, {@code width} probabilities each, weights or null) as one more chunk.
     */
    void spill(int[] target, double[] probabilities, double[] weights, int n) {
        if (n == 0) {
            return;
        }
        long bytes = (rows + n) * (rawRecord() + (long) scores * sortedRecord());
        if (bytes > maxDiskBytes) {
            throw new InvalidInputException("the ranking metrics of " + (rows + n) + " rows would take " + bytes
                    + " bytes of temporary files, more than the limit of " + maxDiskBytes
                    + " bytes (6 × skein.evaluation.max-table-bytes); evaluate a smaller table");
        }
        try {
            out.clear();
            for (int i = 0; i < n; i++) {
                room(raw, rawRecord());
                out.putInt(target[i]);
                for (int j = 0; j < width; j++) {
                    out.putDouble(probabilities[i * width + j]);
                }
                if (weighted) {
                    out.putDouble(weights[i]);
                }
            }
            drain(raw);
            if (scratchScores.length < n) {
                scratchScores = new double[n];
                scratchOrder = new int[n];
                scratchMerge = new int[n];
            }
            double[] s = scratchScores;
            for (int c = 0; c < scores; c++) {
                for (int i = 0; i < n; i++) {
                    s[i] = score(probabilities, i, c);
                }
                int[] order = descending(s, n);
                out.clear();
                for (int r = 0; r < n; r++) {
                    int i = order[r];
                    room(sorted[c], sortedRecord());
                    out.putDouble(s[i]);
                    out.putInt(target[i]);
                    if (weighted) {
                        out.putDouble(weights[i]);
                    }
                }
                drain(sorted[c]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the evaluation's temporary files in " + directory, e);
        }
        runStarts.add(rows);
        rows += n;
    }

    /** Score {@code c} of row i: a probability column, or with one column 1 − P (c = 0) and P (c = 1). */
    private double score(double[] probabilities, int i, int c) {
        if (width == 1) {
            double p = probabilities[i];
            return c == 1 ? p : 1 - p;
        }
        return probabilities[i * width + c];
    }

    private void room(FileChannel channel, int bytes) throws IOException {
        if (out.remaining() < bytes) {
            drain(channel);
            out.clear();
        }
    }

    private void drain(FileChannel channel) throws IOException {
        out.flip();
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /**
     * Row indices by descending score, and among equal scores by descending index: a stable merge sort of the
     * indices from the last to the first.
     */
    private int[] descending(double[] s, int n) {
        int[] a = scratchOrder;
        for (int i = 0; i < n; i++) {
            a[i] = n - 1 - i;
        }
        return Ranking.mergeDescending(s, 1, 0, a, scratchMerge, n);
    }

    /** Drops the sorts' scratch arrays (as large as a chunk) once every chunk is written. */
    void release() {
        scratchScores = new double[0];
        scratchOrder = new int[0];
        scratchMerge = new int[0];
    }

    /** What reads the rows in the table's order. */
    interface RowSink {
        void row(long index, int target, double[] probabilities, double weight);
    }

    /** Every row in the table's order; {@code probabilities} is reused from row to row. */
    void forEachRow(RowSink sink) {
        ByteBuffer in = ByteBuffer.allocate(Math.max(rawRecord(), WRITE_BUFFER / rawRecord() * rawRecord()));
        double[] p = new double[width];
        long position = 0;
        long index = 0;
        try {
            in.limit(0);
            while (index < rows) {
                if (in.remaining() < rawRecord()) {
                    in.compact();
                    int read = raw.read(in, position);
                    if (read < 0) {
                        throw new IOException("the file of rows ends early");
                    }
                    position += read;
                    in.flip();
                    continue;
                }
                int target = in.getInt();
                for (int j = 0; j < width; j++) {
                    p[j] = in.getDouble();
                }
                double weight = weighted ? in.getDouble() : 1.0;
                sink.row(index++, target, p, weight);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the evaluation's temporary files in " + directory, e);
        }
    }

    /** What reads the rows in one score's order. */
    interface SortedSink {
        void row(double score, int target, double weight);
    }

    /**
     * Every row by descending score {@code c} (among equal scores the later row first): the runs merged, each read
     * through a buffer of its share of the budget.
     */
    void forEachSorted(int c, SortedSink sink) {
        int runs = runStarts.size();
        int record = sortedRecord();
        long share = budget / Math.max(1, runs);
        int buffer = (int) Math.max(MIN_RUN_BUFFER, Math.min(MAX_RUN_BUFFER, share));
        buffer = Math.max(record, buffer / record * record);
        PriorityQueue<Run> heap = new PriorityQueue<>(Math.max(1, runs), (a, b) -> {
            int byScore = Double.compare(b.score, a.score);
            return byScore != 0 ? byScore : Integer.compare(b.index, a.index); // the later chunk first
        });
        try {
            for (int r = 0; r < runs; r++) {
                long first = runStarts.get(r);
                long end = r + 1 < runs ? runStarts.get(r + 1) : rows;
                Run run = new Run(sorted[c], r, first * record, end * record, buffer, record);
                if (run.next()) {
                    heap.add(run);
                }
            }
            while (!heap.isEmpty()) {
                Run run = heap.poll();
                sink.row(run.score, run.target, run.weight);
                if (run.next()) {
                    heap.add(run);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the evaluation's temporary files in " + directory, e);
        }
    }

    /** One sorted run, read from its place in a score's file. */
    private final class Run {
        final int index;
        private final FileChannel channel;
        private final ByteBuffer in;
        private final int record;
        private long position;
        private final long end;
        double score;
        int target;
        double weight;

        Run(FileChannel channel, int index, long start, long end, int buffer, int record) {
            this.channel = channel;
            this.index = index;
            this.position = start;
            this.end = end;
            this.record = record;
            this.in = ByteBuffer.allocate((int) Math.min(buffer, Math.max(record, end - start)));
            in.limit(0);
        }

        boolean next() throws IOException {
            if (in.remaining() < record) {
                if (position >= end) {
                    return false;
                }
                in.compact();
                int want = (int) Math.min(in.remaining(), end - position);
                in.limit(in.position() + want);
                while (in.hasRemaining()) {
                    int read = channel.read(in, position);
                    if (read < 0) {
                        throw new IOException("a sorted run ends early");
                    }
                    position += read;
                }
                in.flip();
            }
            score = in.getDouble();
            target = in.getInt();
            weight = weighted ? in.getDouble() : 1.0;
            return true;
        }
    }

    /** Removes the files and their directory; again does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(raw, sorted, directory);
    }

    private static void closeQuietly(FileChannel raw, FileChannel[] sorted, Path dir) {
        if (raw != null) {
            try {
                raw.close();
            } catch (IOException e) {
                // the file is removed below all the same
            }
        }
        for (FileChannel c : sorted) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    // the file is removed below all the same
                }
            }
        }
        if (dir == null) {
            return;
        }
        remove(dir);
    }

    /**
     * Deletes a directory of temporary files, every file it can: one that cannot be removed is logged, never the
     * evaluation's failure (its result stands).
     */
    static void remove(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    LOG.warnf("cannot remove the temporary file %s: %s", f, e.toString());
                }
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.warnf("cannot remove the evaluation's temporary files in %s: %s", dir, e.toString());
        }
    }

    /**
     * Removes what evaluations of a process that ended without cleaning up (killed, out of memory) left in {@code
     * parent}: directories of this prefix untouched for longer than {@code olderThan} (a live evaluation's are
     * written or read all along, and another process's on this machine are younger).
     */
    static void sweep(Path parent, java.time.Duration olderThan) {
        long cutoff = System.currentTimeMillis() - olderThan.toMillis();
        try (var dirs = Files.newDirectoryStream(parent, "skein-evaluation-*")) {
            for (Path dir : dirs) {
                if (Files.isDirectory(dir) && Files.getLastModifiedTime(dir).toMillis() < cutoff) {
                    LOG.infof("removing the temporary files an earlier evaluation left: %s", dir);
                    remove(dir);
                }
            }
        } catch (IOException e) {
            LOG.warnf("cannot look for temporary files left in %s: %s", parent, e.toString());
        }
    }
}
