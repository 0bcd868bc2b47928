package dev.skein.cli.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.skein.cli.Api;
import dev.skein.cli.projects.EntryPoint;
import dev.skein.cli.projects.Project;
import dev.skein.cli.projects.ProjectException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A recipe: a directory holding {@code recipe.yaml}, {@code profiles/<profile>.yaml} and an {@code MLproject} whose
 * entry points are the steps' code. Read with one profile: recipe.yaml's {@code {{ NAME }}} filled from the profile's
 * values, then the profile's own recipe keys ({@code experiment}, {@code steps}…) laid over the result, mappings
 * merged key by key. Everything is checked here, so a bad recipe is refused before anything is made.
 */
public record Recipe(
        Path dir,
        String profile,
        String template,
        String targetCol,
        String predictionsCol,
        String positiveClass,
        String experimentName,
        Map<Step, ObjectNode> steps,
        List<Criterion> criteria,
        Register register,
        Project project) {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    public static final String FILE = "recipe.yaml";
    static final Set<String> TEMPLATES = Set.of("regression/v1", "classification/v1");
    static final Set<String> KEYS = Set.of(
            "recipe", "target_col", "predictions_col", "positive_class", "primary_metric", "experiment", "steps");

    /** The register step's settings. */
    public record Register(String modelName, String alias, boolean allowNonValidatedModel) {}

    /** evaluation-service's model type for the recipe's template. */
    public String modelType() {
        return template.startsWith("classification") ? "classifier" : "regressor";
    }

    /** The recipe's steps in their order, those before {@code last} and it (all of them when null). */
    public List<Step> plan(Step last) {
        if (last != null && !steps.containsKey(last)) {
            throw new RecipeException("the recipe has no step '" + last.id() + "' (its steps: " + ids() + ")");
        }
        List<Step> plan = new ArrayList<>();
        for (Step s : steps.keySet()) {
            plan.add(s);
            if (s == last) {
                break;
            }
        }
        return plan;
    }

    String ids() {
        return String.join(", ", steps.keySet().stream().map(Step::id).toList());
    }

    /**
     * What a step's code is given as its configuration (and what its cache key hashes): the recipe-wide keys and the
     * step's own settings under {@code step}.
     */
    public ObjectNode stepConfig(Step step) {
        ObjectNode config = Api.object();
        config.put("recipe", template);
        config.put("target_col", targetCol);
        config.put("predictions_col", predictionsCol);
        if (positiveClass != null) {
            config.put("positive_class", positiveClass);
        }
        config.set("step", steps.get(step).deepCopy());
        return config;
    }

    public static Recipe load(Path dir, String profile) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new RecipeException(dir + " is not a recipe: it has no " + FILE);
        }
        if (profile == null || !profile.matches("[A-Za-z0-9_.-]+")) {
            throw new RecipeException("a profile is a name like local or production, not '" + profile + "'");
        }
        Path profileFile = dir.resolve("profiles").resolve(profile + ".yaml");
        String profileName = "profiles/" + profile + ".yaml";
        if (!Files.isRegularFile(profileFile)) {
            throw new RecipeException(
                    dir + " has no profile '" + profile + "' (" + profileName + "; it has " + profiles(dir) + ")");
        }
        JsonNode profileYaml = readYaml(read(profileFile), profileName);
        Map<String, JsonNode> values = new LinkedHashMap<>();
        profileYaml.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue()));
        String rendered = Template.render(read(file), FILE, values, profileName);
        JsonNode yaml = readYaml(rendered, FILE + " (rendered with " + profileName + ")");
        ObjectNode config = (ObjectNode) yaml.deepCopy();
        profileYaml.fields().forEachRemaining(e -> {
            if (KEYS.contains(e.getKey())) {
                config.set(e.getKey(), merge(config.get(e.getKey()), e.getValue()));
            }
        });
        Project project;
        try {
            project = Project.load(dir);
        } catch (ProjectException e) {
            throw new RecipeException("MLproject: " + e.getMessage());
        }
        return of(dir, profile, config, project);
    }

    static Recipe of(Path dir, String profile, ObjectNode config, Project project) {
        for (Iterator<String> it = config.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw bad("unknown key '" + key + "' (a recipe has " + new TreeSet<>(KEYS) + ")");
            }
        }
        String template = requiredText(config, "recipe", "the recipe's template: " + TEMPLATES);
        if (!TEMPLATES.contains(template)) {
            throw bad("recipe: '" + template + "' is not a template Skein knows " + new TreeSet<>(TEMPLATES));
        }
        String target = requiredText(config, "target_col", "the column the model predicts");
        String predictions = optionalText(config, "predictions_col", "prediction");
        String positive = optionalText(config, "positive_class", null);
        JsonNode experiment = config.path("experiment");
        String experimentName = null;
        if (!experiment.isMissingNode() && !experiment.isNull()) {
            if (!experiment.isObject()) {
                throw bad("experiment must be a mapping ({name: …})");
            }
            experimentName = optionalText(experiment, "name", null);
        }
        JsonNode stepsNode = config.path("steps");
        if (!stepsNode.isObject() || stepsNode.isEmpty()) {
            throw bad("steps must be a mapping of the recipe's steps (" + Step.names() + ")");
        }
        Map<Step, ObjectNode> steps = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = stepsNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (Step.of(e.getKey()) == null) {
                throw bad("steps: unknown step '" + e.getKey() + "' (steps are " + Step.names() + ")");
            }
            JsonNode value = e.getValue();
            if (value != null && !value.isNull() && !value.isObject()) {
                throw bad("steps." + e.getKey() + " must be a mapping of its settings");
            }
        }
        for (Step s : Step.values()) {
            if (stepsNode.has(s.id())) {
                JsonNode value = stepsNode.get(s.id());
                steps.put(s, value.isObject() ? (ObjectNode) value : Api.object());
            }
        }
        if (steps.containsKey(Step.EVALUATE) && !steps.containsKey(Step.TRAIN)) {
            throw bad("steps: evaluate needs a train step (it evaluates train's predictions)");
        }
        if (steps.containsKey(Step.REGISTER) && !steps.containsKey(Step.EVALUATE)) {
            throw bad("steps: register needs an evaluate step (it registers only a validated model)");
        }
        for (Step s : steps.keySet()) {
            if (!s.code()) {
                continue;
            }
            EntryPoint ep = project.entryPoints().get(s.id());
            if (ep == null) {
                throw bad("step " + s.id() + " has no entry point '" + s.id() + "' in the recipe's MLproject");
            }
            try {
                ep.resolve(Map.of(), dir);
            } catch (ProjectException e) {
                throw bad("step " + s.id() + ": its entry point cannot run without parameters: " + e.getMessage());
            }
        }
        List<Criterion> criteria = criteria(steps.get(Step.EVALUATE));
        Register register = register(steps.get(Step.REGISTER));
        return new Recipe(
                        dir,
                        null,
                        template,
                        target,
                        predictions,
                        positive,
                        experimentName,
                        steps,
                        criteria,
                        register,
                        project)
                .withProfile(profile);
    }

    private Recipe withProfile(String name) {
        return new Recipe(
                dir,
                name,
                template,
                targetCol,
                predictionsCol,
                positiveClass,
                experimentName,
                steps,
                criteria,
                register,
                project);
    }

    private static List<Criterion> criteria(ObjectNode evaluate) {
        List<Criterion> criteria = new ArrayList<>();
        if (evaluate == null) {
            return criteria;
        }
        for (Iterator<String> it = evaluate.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!key.equals("validation_criteria")) {
                throw bad("steps.evaluate: unknown setting '" + key + "' (it has validation_criteria)");
            }
        }
        JsonNode list = evaluate.path("validation_criteria");
        if (list.isMissingNode() || list.isNull()) {
            return criteria;
        }
        if (!list.isArray()) {
            throw bad("steps.evaluate.validation_criteria must be a list of {metric, threshold}");
        }
        for (JsonNode c : list) {
            String where = "steps.evaluate.validation_criteria[" + criteria.size() + "]";
            if (!c.isObject()
                    || !c.path("metric").isTextual()
                    || c.path("metric").asText().isBlank()) {
                throw bad(where + " must be {metric: NAME, threshold: NUMBER}");
            }
            String metric = c.get("metric").asText();
            if (!c.path("threshold").isNumber()) {
                throw bad(where + " (" + metric + "): threshold must be a number");
            }
            Boolean greater = Criterion.greaterIsBetter(metric);
            if (c.has("greater_is_better")) {
                if (!c.get("greater_is_better").isBoolean()) {
                    throw bad(where + " (" + metric + "): greater_is_better must be true or false");
                }
                greater = c.get("greater_is_better").asBoolean();
            }
            if (greater == null) {
                throw bad(where + ": " + metric + " is not one of MLflow's metrics; say whether greater is better"
                        + " with greater_is_better: true|false");
            }
            criteria.add(new Criterion(metric, c.get("threshold").asDouble(), greater));
        }
        return criteria;
    }

    private static Register register(ObjectNode node) {
        if (node == null) {
            return null;
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!Set.of("model_name", "alias", "allow_non_validated_model").contains(key)) {
                throw bad("steps.register: unknown setting '" + key
                        + "' (it has model_name, alias, allow_non_validated_model)");
            }
        }
        String name = node.path("model_name").asText("");
        if (name.isBlank()) {
            throw bad("steps.register.model_name: the registered model to make versions of is required");
        }
        JsonNode alias = node.path("alias");
        if (!alias.isMissingNode()
                && !alias.isNull()
                && (!alias.isTextual() || !alias.asText().matches("\\w[\\w-]*"))) {
            throw bad("steps.register.alias must be a name (letters, digits, _ and -), not " + alias);
        }
        JsonNode allow = node.path("allow_non_validated_model");
        if (!allow.isMissingNode() && !allow.isBoolean()) {
            throw bad("steps.register.allow_non_validated_model must be true or false");
        }
        return new Register(name, alias.isTextual() ? alias.asText() : null, allow.asBoolean(false));
    }

    static JsonNode merge(JsonNode base, JsonNode over) {
        if (base instanceof ObjectNode b && over instanceof ObjectNode o) {
            ObjectNode merged = b.deepCopy();
            o.fields().forEachRemaining(e -> merged.set(e.getKey(), merge(merged.get(e.getKey()), e.getValue())));
            return merged;
        }
        return over.deepCopy();
    }

    private static String requiredText(JsonNode node, String key, String what) {
        JsonNode v = node.path(key);
        if (!v.isValueNode() || v.isNull() || v.asText().isBlank()) {
            throw bad(key + " is required (" + what + ")");
        }
        return v.asText();
    }

    private static String optionalText(JsonNode node, String key, String dflt) {
        JsonNode v = node.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return dflt;
        }
        if (!v.isValueNode() || v.asText().isBlank()) {
            throw bad(key + " must be a non-empty text");
        }
        return v.asText();
    }

    private static RecipeException bad(String reason) {
        return new RecipeException(FILE + ": " + reason);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new RecipeException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static JsonNode readYaml(String text, String name) {
        JsonNode node;
        try {
            node = YAML.readTree(text);
        } catch (IOException e) {
            throw new RecipeException(name + " is not valid YAML: " + e.getMessage());
        }
        if (node == null || node.isMissingNode() || node.isNull()) {
            return Api.object();
        }
        if (!node.isObject()) {
            throw new RecipeException(name + " must be a YAML mapping");
        }
        return node;
    }

    private static List<String> profiles(Path dir) {
        List<String> names = new ArrayList<>();
        try (var files = Files.list(dir.resolve("profiles"))) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml"))
                    .map(n -> n.substring(0, n.length() - 5))
                    .sorted()
                    .forEach(names::add);
        } catch (IOException e) {
            // no profiles directory: none
        }
        return names;
    }
}
