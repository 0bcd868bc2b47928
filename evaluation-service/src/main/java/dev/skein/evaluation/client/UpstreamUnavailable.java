package dev.skein.evaluation.client;

/** Another service could not be asked now (down, slow, busy): the work is retried later, never failed for it. */
public class UpstreamUnavailable extends RuntimeException {

    public UpstreamUnavailable(String message, Throwable cause) {
        super(message, cause);
    }
}
