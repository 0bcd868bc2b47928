package dev.skein.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.skein.common.catalogue.Catalogue;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart cannot drift from the services or from its own README: every Skein setting it gives a
 * service is in that service's configuration table, and every value of values.yaml is in the chart's README.
 */
class DocumentedSettingsTest {

    private static final Catalogue CATALOGUE = Chart.catalogue();
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Z][A-Z0-9_]*[A-Z0-9]");
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{([A-Z0-9_]+)}");

    @Test
    void shouldSetOnlySkeinSettingsTheServicesDocument() throws IOException {
        Set<String> common = names(Files.readString(Chart.REPO.resolve("common/README.md")), false);
        Map<String, Set<String>> problems = new TreeMap<>();
        int checked = 0;
        for (Path values : List.of(
                RenderedManifestsTest.MINIMAL, RenderedManifestsTest.PRODUCTION, RenderedManifestsTest.EVERYTHING)) {
            Manifests m = Manifests.parse(Chart.render(values));
            for (HasMetadata w : m.workloads()) {
                Catalogue.Service svc = RenderedManifestsTest.service(w);
                Set<String> documented = names(readme(svc.module()), true);
                String configFile = configFile(m, w);
                Set<String> fromFile = new TreeSet<>();
                Matcher expr = EXPRESSION.matcher(configFile);
                while (expr.find()) {
                    fromFile.add(expr.group(1));
                }
                List<String> skeinEnv = Manifests.podSpec(w).getContainers().get(0).getEnv().stream()
                        .map(EnvVar::getName)
                        .filter(n -> n.startsWith("SKEIN_"))
                        .toList();
                // an operator's own components.<name>.env is theirs to document
                Set<String> operators = new TreeSet<>();
                RenderedManifestsTest.mergedValues(values)
                        .path("components")
                        .path(svc.key())
                        .path("env")
                        .forEach(e -> operators.add(e.path("name").asText()));
                for (String name : skeinEnv) {
                    checked++;
                    // variables that only fill ${…} in the chart's own config file (secrets of Kafka and OIDC) are the
                    // chart's
                    if (fromFile.contains(name) || operators.contains(name)) {
                        continue;
                    }
                    if (!documented.contains(name) && !common.contains(name)) {
                        problems.computeIfAbsent(svc.module() + "/README.md", k -> new TreeSet<>())
                                .add(name);
                    }
                }
                // every ${VAR} of the config file is set in the container
                assertThat(skeinEnv)
                        .as(w.getMetadata().getName() + " sets what its config file reads")
                        .containsAll(fromFile);
                // the properties the config file sets for Skein itself (OIDC providers) are documented too
                for (String line : configFile.split("\n")) {
                    String key = line.contains("=")
                            ? line.substring(0, line.indexOf('=')).trim()
                            : "";
                    if (key.startsWith("skein.")) {
                        checked++;
                        String generic = genericName(key);
                        if (!documented.contains(generic)) {
                            problems.computeIfAbsent(svc.module() + "/README.md", k -> new TreeSet<>())
                                    .add(key + " (as " + generic + ")");
                        }
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(20);
        assertThat(problems)
                .as("settings the chart gives that the services' configuration tables do not name")
                .isEmpty();
    }

    @Test
    void shouldDocumentEveryValueInTheChartReadme() throws IOException {
        JsonNode values = new ObjectMapper(new YAMLFactory())
                .readTree(Chart.CHART.resolve("values.yaml").toFile());
        Set<String> leaves = new TreeSet<>();
        leaves(values, "", leaves);
        String readme = Files.readString(Chart.CHART.resolve("README.md"));
        Set<String> documented = new TreeSet<>();
        for (String line : readme.split("\n")) {
            if (line.startsWith("| `")) {
                Matcher m = BACKTICKED.matcher(line.split("\\|")[1]);
                while (m.find()) {
                    documented.add(m.group(1));
                }
            }
        }
        Set<String> missing = new TreeSet<>();
        for (String leaf : leaves) {
            // the components share one list of settings, documented once as componentDefaults.… (which
            // components.<name>.… overrides)
            String generic = leaf.replaceFirst("^components\\.[a-z0-9-]+\\.", "componentDefaults.");
            if (!documented.contains(leaf) && !documented.contains(generic)) {
                missing.add(leaf);
            }
        }
        assertThat(leaves).hasSizeGreaterThan(50);
        assertThat(missing)
                .as("values.yaml keys missing from helm/skein/README.md's tables")
                .isEmpty();
        // components' entries are optional overrides, each of a service of the catalogue
        assertThat(values.path("components").fieldNames())
                .toIterable()
                .isSubsetOf(CATALOGUE.services().keySet());
    }

    @Test
    void shouldListEveryTopicInTheChartReadme() throws IOException {
        String readme = Files.readString(Chart.CHART.resolve("README.md"));
        CATALOGUE.topics().forEach((topic, d) -> assertThat(readme)
                .as(topic)
                .containsPattern("\\| `" + Pattern.quote(topic) + "` \\| "
                        + d.partitions() + " \\| "
                        + d.retentionMs() + " \\|"));
    }

    private static void leaves(JsonNode node, String path, Set<String> out) {
        if (node.isObject() && node.size() > 0) {
            node.fields()
                    .forEachRemaining(
                            e -> leaves(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out));
        } else {
            out.add(path);
        }
    }

    private static String readme(String module) throws IOException {
        return Files.readString(Chart.REPO.resolve(module).resolve("README.md"));
    }

    private static String configFile(Manifests m, HasMetadata w) {
        return m.of(ConfigMap.class).stream()
                .filter(cm -> cm.getMetadata().getName().equals(w.getMetadata().getName() + "-config"))
                .findFirst()
                .map(cm -> cm.getData().get("skein.properties"))
                .orElse("");
    }

    /** skein.auth.oidc."corp".groups."admins".admin -> skein.auth.oidc."<name>".groups."<group>".admin */
    static String genericName(String key) {
        String[] placeholders = {"\"<name>\"", "\"<group>\""};
        Matcher m = Pattern.compile("\"[^\"]*\"").matcher(key);
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(placeholders[Math.min(i++, placeholders.length - 1)]));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * The settings a README names: every env var name in it, and, in its configuration tables (property |
     * env var | …), the properties of the first column — shorthand such as {@code `skein.db.host`, `.port`}
     * or {@code `skein.db.user` / `password`} expanded — with their env var names.
     */
    static Set<String> names(String readme, boolean tablesOnly) {
        Set<String> out = new TreeSet<>();
        for (String line : readme.split("\n")) {
            boolean row = line.startsWith("|");
            if (tablesOnly && !row) {
                continue;
            }
            if (!row) {
                Matcher m = BACKTICKED.matcher(line);
                while (m.find()) {
                    Matcher env = ENV_NAME.matcher(m.group(1));
                    while (env.find()) {
                        out.add(env.group());
                    }
                }
                continue;
            }
            String[] cells = line.split("\\|");
            if (cells.length < 3) {
                continue;
            }
            List<String> properties = expand(backticked(cells[1]));
            properties.forEach(p -> {
                out.add(p);
                out.add(p.toUpperCase().replaceAll("[^A-Z0-9]", "_"));
            });
            for (String token : backticked(cells[2])) {
                Matcher env = ENV_NAME.matcher(token);
                while (env.find()) {
                    out.add(env.group());
                }
            }
        }
        return out;
    }

    private static List<String> backticked(String cell) {
        List<String> out = new ArrayList<>();
        Matcher m = BACKTICKED.matcher(cell);
        while (m.find()) {
            out.add(m.group(1).trim());
        }
        return out;
    }

    private static List<String> expand(List<String> tokens) {
        List<String> out = new ArrayList<>();
        String first = null;
        for (String token : tokens) {
            if (first == null) {
                if (!token.contains(".")) {
                    return out;
                }
                first = token;
                out.add(token);
            } else if (token.startsWith(".")) {
                out.add(first.substring(0, first.lastIndexOf('.')) + token);
            } else if (!token.contains(".") && !token.startsWith("-")) {
                out.add(first.substring(0, first.lastIndexOf('.') + 1) + token);
            } else if (token.contains(".")) {
                out.add(token);
            }
        }
        return Stream.of(out).flatMap(List::stream).toList();
    }
}
