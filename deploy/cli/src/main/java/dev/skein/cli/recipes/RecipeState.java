package dev.skein.cli.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * What a recipe remembers between runs, per profile, under {@code <recipe>/.skein-recipe/<profile>/}: {@code
 * state.json} (each step's last execution: its cache key, step run, status, whether it was a cache hit, how long it
 * took, the hash of its outputs, the tracking server) and {@code steps/<step>/outputs/}, the outputs the next steps
 * read and a cache hit reuses.
 */
public final class RecipeState {

    public static final String DIR = ".skein-recipe";

    private final Path root;
    private final ObjectNode json;

    private RecipeState(Path root, ObjectNode json) {
        this.root = root;
        this.json = json;
    }

    public static Path root(Recipe recipe) {
        return recipe.dir().resolve(DIR).resolve(recipe.profile());
    }

    public static RecipeState load(Recipe recipe) {
        Path root = root(recipe);
        Path file = root.resolve("state.json");
        ObjectNode json = Api.object();
        if (Files.isRegularFile(file)) {
            try {
                JsonNode read = Api.JSON.readTree(Files.readString(file));
                if (read instanceof ObjectNode o) {
                    json = o;
                }
            } catch (IOException e) {
                // an unreadable state is no state: every step runs again
            }
        }
        return new RecipeState(root, json);
    }

    /** The step's last execution, or null. */
    public ObjectNode step(Step step) {
        JsonNode node = json.path("steps").get(step.id());
        return node instanceof ObjectNode o ? o : null;
    }

    public void put(Step step, ObjectNode record) {
        json.withObject("/steps").set(step.id(), record);
    }

    public Path outputs(Step step) {
        return root.resolve("steps").resolve(step.id()).resolve("outputs");
    }

    public Path configFile(Step step) {
        return root.resolve("steps").resolve(step.id()).resolve("config.json");
    }

    public void save() {
        try {
            Files.createDirectories(root);
            Path tmp = Files.createTempFile(root, "state", ".json");
            Files.writeString(tmp, Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
            Files.move(
                    tmp,
                    root.resolve("state.json"),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the recipe's state under " + root, e);
        }
    }

    /** One recipe run per profile at a time: held until closed. */
    public AutoCloseable lock() throws IOException {
        Files.createDirectories(root);
        FileChannel channel =
                FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            throw new RecipeException(
                    "another skein recipe run of this recipe's profile is running (" + root + "/lock is held)");
        }
        return () -> {
            lock.release();
            channel.close();
        };
    }

    /** Whether the step's last execution can stand for one with this key: same key, succeeded, outputs intact. */
    public boolean cached(Step step, String key, String trackingUri) {
        ObjectNode r = step(step);
        return r != null
                && "SUCCEEDED".equals(r.path("status").asText())
                && key.equals(r.path("key").asText())
                && trackingUri.equals(r.path("tracking_uri").asText())
                && r.path("outputs_hash").asText().equals(CacheKeys.ofDirectory(outputs(step)));
    }
}
