package dev.skein.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import dev.skein.common.catalogue.Catalogue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The chart under test, rendered in-process with helm-java ({@code helm template}).
 *
 * <p>helm-java's template returns the release's manifest only, without its hooks (its Go side prints
 * {@code rel.Manifest}; the {@code helm} CLI appends {@code rel.Hooks}). The migration Jobs are hooks, so
 * the chart is rendered from a copy in {@code target/} whose templates carry the hook annotations under
 * another key ({@link #HIDDEN_HOOK}); Helm then keeps them in the manifest, and the key is put back in
 * the rendered text. {@link #renderAsIs} renders the chart itself, to prove Helm does take them for hooks.
 */
final class Chart {

    static final Path MODULE = Paths.get("").toAbsolutePath();
    static final Path CHART = MODULE.resolve("skein");

    /** The chart's catalogue.yaml, read and checked as the services and the runner read it. */
    static Catalogue catalogue() {
        try {
            return Catalogue.parse(Files.readString(CHART.resolve("catalogue.yaml")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final Path REPO = MODULE.getParent();
    static final Path DEPLOY_K8S = REPO.resolve("deploy/k8s");
    static final String RELEASE = "skein";
    static final String NAMESPACE = "ml";
    static final String KUBE_VERSION = "1.33.0";

    private static final String HOOK = "helm.sh/hook";
    private static final String HIDDEN_HOOK = "test.skein.dev/hidden-hook";
    private static final Path COPY = MODULE.resolve("target/chart-under-test/skein");
    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();
    private static volatile boolean copied;

    private Chart() {}

    /** The chart rendered with these values files (and --set pairs "key=value"), hooks included. */
    static String render(List<Path> valuesFiles, String... sets) {
        String cacheKey = valuesFiles + "|" + String.join("|", sets);
        return CACHE.computeIfAbsent(cacheKey, k -> {
            String out = template(copy(), valuesFiles, sets);
            return out.replace(HIDDEN_HOOK, HOOK);
        });
    }

    static String render(Path valuesFile) {
        return render(List.of(valuesFile));
    }

    /**
     * A copy of the chart (hooks kept, as {@link #render}) whose catalogue.yaml is {@code catalogue}, rendered with
     * these values files: what the chart makes of a catalogue it does not ship.
     */
    static String renderWithCatalogue(String name, String catalogue, List<Path> valuesFiles, String... sets) {
        Path chart = MODULE.resolve("target/chart-with-catalogue-" + name + "/skein");
        try {
            Path source = copy();
            if (Files.exists(chart)) {
                try (Stream<Path> old = Files.walk(chart)) {
                    old.sorted(java.util.Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
            try (Stream<Path> files = Files.walk(source)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Path target = chart.resolve(source.relativize(file).toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(file, target);
                    }
                }
            }
            Files.writeString(chart.resolve("catalogue.yaml"), catalogue);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return template(chart, valuesFiles, sets).replace(HIDDEN_HOOK, HOOK);
    }

    /** The chart as it is, through helm-java, hooks left out as Helm leaves them out of a manifest. */
    static String renderAsIs(List<Path> valuesFiles, String... sets) {
        return template(CHART, valuesFiles, sets);
    }

    private static String template(Path chart, List<Path> valuesFiles, String... sets) {
        TemplateCommand command = new Helm(chart)
                .template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        for (Path values : valuesFiles) {
            command = command.withValuesFile(values);
        }
        for (String set : sets) {
            String[] kv = set.split("=", 2);
            command = command.set(kv[0], kv[1]);
        }
        return command.call();
    }

    private static synchronized Path copy() {
        if (copied) {
            return COPY;
        }
        try {
            if (Files.exists(COPY)) {
                try (Stream<Path> old = Files.walk(COPY)) {
                    old.sorted(java.util.Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
            int hidden = 0;
            try (Stream<Path> files = Files.walk(CHART)) {
                for (Path source : (Iterable<Path>) files::iterator) {
                    Path target = COPY.resolve(CHART.relativize(source).toString());
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(target);
                        continue;
                    }
                    String text = Files.readString(source);
                    if (source.getParent().endsWith("templates") && text.contains(HOOK + ":")) {
                        hidden++;
                        text = text.replace(HOOK, HIDDEN_HOOK);
                    }
                    Files.writeString(target, text);
                }
            }
            if (hidden == 0) {
                throw new IllegalStateException("no template of the chart declares a " + HOOK + " annotation");
            }
            copied = true;
            return COPY;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
