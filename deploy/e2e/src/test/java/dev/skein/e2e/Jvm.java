package dev.skein.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The heap of a running service, without JMX: a full collection through {@code jcmd} (the attach
 * API), then the heap in use as the service's own {@code /q/metrics} reports it — what is still
 * live, not garbage that happens not to be collected yet.
 */
final class Jvm {

    private Jvm() {}

    /** {@code managementPort}: the service's, where {@code /q/metrics} is served. */
    static long liveHeapBytes(String service, int managementPort) {
        collect(service);
        return heapUsed(managementPort);
    }

    private static void collect(String service) {
        try {
            Path pidFile = TestInfra.repoRoot().resolve(".skein/e2e/run/" + service + ".pid");
            String pid = Files.readString(pidFile).trim();
            Process p = new ProcessBuilder("jcmd", pid, "GC.run")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS))
                    .as("jcmd GC.run on " + service)
                    .isTrue();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sum of jvm_memory_used_bytes over the heap's pools. */
    static long heapUsed(int port) {
        try {
            String metrics = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            double used = 0;
            for (String line : metrics.split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    used += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            assertThat(used).as("heap metrics of the service on port " + port).isPositive();
            return (long) used;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
