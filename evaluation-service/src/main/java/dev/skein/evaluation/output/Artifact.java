package dev.skein.evaluation.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file to log under the run's artifacts: its bytes ({@code content}) or, for one too large to hold, a
 * temporary {@code file} that {@link #discard()} deletes once it is logged or abandoned.
 */
public record Artifact(String path, String contentType, byte[] content, Path file) {

    public Artifact {
        if ((content == null) == (file == null)) {
            throw new IllegalArgumentException("an artifact has its content or a file, not both or neither");
        }
    }

    public Artifact(String path, String contentType, byte[] content) {
        this(path, contentType, content, null);
    }

    /** Deletes the temporary file, if any. */
    public void discard() {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
