package dev.skein.tracking;

import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy in front of the test database for the service's reactive connections. It forwards
 * until told to freeze the bulk reads' connections (those whose startup names the application
 * {@code tracking-service bulk read}): then it stops passing their bytes either way while keeping
 * their sockets open — a database host that no longer answers, as a hung server or a dropped route
 * looks to the client — and holds every cancel request that arrives. Thawing lets everything through.
 */
public class FreezingDatabaseProxy implements QuarkusTestResourceLifecycleManager {

    private static final byte[] BULK_READ = "tracking-service bulk read".getBytes(StandardCharsets.UTF_8);
    private static final List<Link> LINKS = new CopyOnWriteArrayList<>();
    private static volatile boolean frozen;
    private ServerSocket server;

    @Override
    public Map<String, String> start() {
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        daemon(this::accept);
        return Map.of(
                "quarkus.datasource.reactive.url",
                "postgresql://127.0.0.1:" + server.getLocalPort() + "/" + ServiceTestResource.TEST_DATABASE);
    }

    @Override
    public void stop() {
        thaw();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        LINKS.forEach(Link::close);
    }

    /** Stops the bulk reads' connections open now and holds new cancel requests. */
    public static void freezeBulkReads() {
        frozen = true;
        LINKS.stream().filter(l -> l.bulkRead).forEach(l -> l.frozen = true);
    }

    /** Lets everything through again. */
    public static synchronized void thaw() {
        frozen = false;
        LINKS.forEach(l -> l.frozen = false);
        FreezingDatabaseProxy.class.notifyAll();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                continue; // closed: the loop ends; otherwise the next connection
            }
            try {
                Socket db = new Socket(TestInfra.DB_HOST, TestInfra.DB_PORT);
                Link link = new Link(client, db);
                LINKS.add(link);
                daemon(() -> link.pump(client, db, true));
                daemon(() -> link.pump(db, client, false));
            } catch (IOException e) {
                // the database cannot be reached: this connection fails as it would without the proxy
                try {
                    client.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    private static void daemon(Runnable work) {
        Thread t = new Thread(work, "db-proxy");
        t.setDaemon(true);
        t.start();
    }

    private static final class Link {
        private final Socket client;
        private final Socket db;
        volatile boolean bulkRead;
        volatile boolean frozen;
        private boolean first = true;

        Link(Socket client, Socket db) {
            this.client = client;
            this.db = db;
        }

        void pump(Socket from, Socket to, boolean fromClient) {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (fromClient && first) {
                        first = false;
                        bulkRead = contains(buf, n, BULK_READ);
                        // a cancel request (length 16, code 80877102) while frozen is never passed on
                        if (FreezingDatabaseProxy.frozen && n >= 8 && buf[3] == 16 && readInt(buf, 4) == 80877102) {
                            frozen = true;
                        }
                    }
                    holdWhileFrozen();
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the other side went: the link ends
            }
            try {
                // a frozen link passes no close either: a hung server does not close its end
                holdWhileFrozen();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            close();
        }

        private void holdWhileFrozen() throws InterruptedException {
            synchronized (FreezingDatabaseProxy.class) {
                while (frozen) {
                    FreezingDatabaseProxy.class.wait(100);
                }
            }
        }

        void close() {
            LINKS.remove(this);
            try {
                client.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            try {
                db.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        private static int readInt(byte[] b, int at) {
            return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
        }

        private static boolean contains(byte[] buf, int n, byte[] what) {
            outer:
            for (int i = 0; i + what.length <= n; i++) {
                for (int j = 0; j < what.length; j++) {
                    if (buf[i + j] != what[j]) {
                        continue outer;
                    }
                }
                return true;
            }
            return false;
        }
    }
}
