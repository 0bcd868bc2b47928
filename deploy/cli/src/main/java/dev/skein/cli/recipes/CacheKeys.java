package dev.skein.cli.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.projects.ShellSplit;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The steps' cache keys: a SHA-256 of the step's name, its rendered configuration ({@link Recipe#stepConfig}, keys
 * sorted), its code, and the keys of the steps before it (what made its inputs, so a step reruns whenever a step before
 * it did).
 *
 * <p>A step's code is the recipe directory's files, less {@code .skein-recipe/} (the cache and outputs), {@code .git},
 * {@code __pycache__}, recipe.yaml and {@code profiles/} (those reach the key as the rendered configuration), and less
 * the files another step's entry point names on its command line (its script): a change to {@code steps/train.py}
 * reruns train and what follows, not ingest; a change to a file no command names (a shared module, the data) reruns
 * every code step.
 */
public final class CacheKeys {

    static final Set<String> SKIPPED = Set.of(".skein-recipe", ".git", "__pycache__", "profiles");

    private CacheKeys() {}

    /** Each step's key, in the recipe's order. */
    public static Map<Step, String> of(Recipe recipe) {
        List<Path> files = files(recipe.dir());
        Map<Step, Set<Path>> own = new LinkedHashMap<>();
        for (Step s : recipe.steps().keySet()) {
            if (s.code()) {
                own.put(s, named(recipe, s));
            }
        }
        Map<Path, String> fileHashes = new TreeMap<>();
        for (Path f : files) {
            fileHashes.put(f, sha256(recipe.dir().resolve(f)));
        }
        Map<Step, String> keys = new LinkedHashMap<>();
        List<String> before = new ArrayList<>();
        for (Step s : recipe.steps().keySet()) {
            StringBuilder code = new StringBuilder();
            if (s.code()) {
                Set<Path> others = new HashSet<>();
                own.forEach((step, named) -> {
                    if (step != s) {
                        others.addAll(named);
                    }
                });
                others.removeAll(own.get(s));
                fileHashes.forEach((f, h) -> {
                    if (!others.contains(f)) {
                        code.append(f).append('\0').append(h).append('\n');
                    }
                });
            }
            String key = key(s, canonical(recipe.stepConfig(s)), code.toString(), before);
            keys.put(s, key);
            before.add(key);
        }
        return keys;
    }

    static String key(Step step, String config, String code, List<String> inputs) {
        MessageDigest digest = digest();
        for (String part : List.of("step:" + step.id(), "config:" + config, "code:" + code, "inputs:" + inputs)) {
            digest.update(part.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The files (relative paths) the entry point of a code step names on its command line. */
    static Set<Path> named(Recipe recipe, Step step) {
        Set<Path> named = new HashSet<>();
        String command = recipe.project().entryPoints().get(step.id()).command();
        List<String> words;
        try {
            words = ShellSplit.split(command);
        } catch (RuntimeException e) {
            words = List.of(command.split("\\s+"));
        }
        for (String word : words) {
            if (word.isBlank() || word.startsWith("-") || word.contains("{")) {
                continue;
            }
            try {
                Path p = recipe.dir().resolve(word).normalize();
                if (p.startsWith(recipe.dir().normalize()) && Files.isRegularFile(p)) {
                    named.add(recipe.dir().normalize().relativize(p));
                }
            } catch (RuntimeException e) {
                // not a path
            }
        }
        return named;
    }

    /** The recipe directory's files that make its code, as relative paths. */
    static List<Path> files(Path dir) {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).forEach(p -> {
                Path rel = dir.relativize(p);
                for (Path part : rel) {
                    if (SKIPPED.contains(part.toString())) {
                        return;
                    }
                }
                String name = rel.toString();
                if (name.equals(Recipe.FILE) || name.endsWith(".pyc")) {
                    return;
                }
                files.add(rel);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the recipe directory " + dir, e);
        }
        files.sort(null);
        return files;
    }

    /** A hash of a directory's files: their relative paths and contents (null when the directory is missing). */
    public static String ofDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        MessageDigest digest = digest();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir, e);
        }
        files.sort(null);
        for (Path f : files) {
            digest.update(dir.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(sha256(f).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) '\n');
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static String sha256(Path file) {
        MessageDigest digest = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** JSON with every mapping's keys sorted: the same configuration always hashes the same. */
    static String canonical(JsonNode node) {
        return sorted(node).toString();
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = Api.object();
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                fields.put(e.getKey(), sorted(e.getValue()));
            }
            fields.forEach(out::set);
            return out;
        }
        if (node.isArray()) {
            var out = Api.JSON.createArrayNode();
            node.forEach(n -> out.add(sorted(n)));
            return out;
        }
        return node;
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
