package dev.skein.artifacts.grpc;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The data of a client-streaming call as an {@link InputStream} for a blocking reader (the upload
 * to the store). gRPC flow control does the backpressure: the call delivers a message only when
 * asked, and the pipe asks for the next one each time its reader takes one, so at most a few
 * messages wait here however fast the client sends.
 */
final class ChunkPipe extends InputStream {

    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final IntConsumer request;
    private final Duration idleTimeout;
    private ByteBuffer current = ByteBuffer.allocate(0);
    private boolean ended;

    /** @param request asks the call for that many more messages */
    ChunkPipe(IntConsumer request, Duration idleTimeout) {
        this.request = request;
        this.idleTimeout = idleTimeout;
    }

    /** A message's data arrived (called by the call's thread). */
    void offer(ByteString data) {
        queue.add(data);
    }

    /** The client finished sending. */
    void end() {
        queue.add(END);
    }

    /** The call failed or was cancelled: the reader gets an IOException. */
    void fail(Throwable cause) {
        queue.add(cause);
    }

    /** The upload ended before its end: the client went away, failed, or stopped sending. */
    static final class CutOff extends IOException {
        CutOff(String why, Throwable cause) {
            super("The upload was cut off: " + why, cause);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (!current.hasRemaining()) {
            if (ended) {
                return -1;
            }
            Object next;
            try {
                next = queue.poll(idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("Interrupted while waiting for upload data");
            }
            if (next == null) {
                throw new CutOff("no upload data came for " + idleTimeout.toSeconds() + " s", null);
            }
            if (next == END) {
                ended = true;
                return -1;
            }
            if (next instanceof Throwable failure) {
                ended = true;
                throw new CutOff(String.valueOf(failure.getMessage()), failure);
            }
            current = ((ByteString) next).asReadOnlyByteBuffer();
            request.accept(1);
        }
        int n = Math.min(length, current.remaining());
        current.get(buffer, offset, n);
        return n;
    }
}
