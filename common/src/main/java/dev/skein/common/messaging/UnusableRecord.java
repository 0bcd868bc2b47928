package dev.skein.common.messaging;

/**
 * A record that no retry can make usable: not of the documented schema, or refused by validation.
 * {@link ConsumerRetry} does not retry it; the consumer sends it to its dead-letter topic with this
 * message as the reason. Never thrown for a dependency that fails (database, store, broker down).
 */
public class UnusableRecord extends RuntimeException {

    public UnusableRecord(String reason) {
        super(reason, null, false, false);
    }

    public UnusableRecord(String reason, Throwable cause) {
        super(reason, cause, false, false);
    }
}
