package dev.skein.registry.service;

import com.github.difflib.DiffUtils;
import com.github.difflib.patch.AbstractDelta;
import dev.skein.common.error.ApiException;
import dev.skein.common.paging.ResultPage;
import dev.skein.common.prompt.PromptTemplates;
import dev.skein.common.validation.Inputs;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.registry.KeyValue;
import dev.skein.registry.ModelView;
import dev.skein.registry.VersionView;
import dev.skein.registry.search.RegistrySearchSql;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * MLflow's prompt registry as use cases: a prompt is a registered model tagged {@code
 * mlflow.prompt.is_prompt = true}, each version a model version with the same tag, its template in
 * {@code mlflow.prompt.text} (a chat as a JSON list, {@code _mlflow_prompt_type = chat}) and its
 * commit message as description — written through {@link ModelService} and {@link VersionService},
 * so a prompt made here is recorded, evented and audited exactly as one made by MLflow's clients.
 */
@ApplicationScoped
public class PromptService {

    public static final String IS_PROMPT_TAG = RegistrySearchSql.PROMPT_TAG;
    public static final String TEXT_TAG = "mlflow.prompt.text";
    public static final String TYPE_TAG = "_mlflow_prompt_type";
    /** What prompt versions record as their source: MLflow 3's {@code create_prompt_version}. */
    static final String SOURCE = "prompt-template";

    public static final String TEXT = "text";
    public static final String CHAT = "chat";
    public static final String JINJA2 = "jinja2";

    /** MLflow's {@code PROMPT_NAME_RULE}. */
    private static final Pattern NAME = Pattern.compile("^[a-zA-Z0-9_.-]+$");

    static final int MAX_LIST_RESULTS = 1_000;

    public record Message(String role, String content) {}

    /** A text template, or a chat (messages), exactly one of them. */
    public record Template(String text, List<Message> messages) {
        boolean chat() {
            return text == null;
        }
    }

    /** A prompt version as stored, its template read back. */
    public record Prompt(VersionView view, String type, Template template) {
        public List<String> variables() {
            return PromptTemplates.variables(
                    template.text() != null
                            ? List.of(template.text())
                            : template.messages().stream().map(Message::content).toList());
        }

        /** The tags beside MLflow's own, which the prompt's fields already say. */
        public List<KeyValue> userTags() {
            return view.tags().stream()
                    .filter(t -> !t.key().equals(IS_PROMPT_TAG)
                            && !t.key().equals(TEXT_TAG)
                            && !t.key().equals(TYPE_TAG))
                    .toList();
        }
    }

    public record DiffLine(Op op, String text, Integer fromLine, Integer toLine) {
        public enum Op {
            EQUAL,
            INSERT,
            DELETE
        }
    }

    public record Diff(List<DiffLine> lines, int added, int removed) {}

    /** A rendered prompt: text, or messages for a chat. */
    public record Rendered(Prompt prompt, String text, List<Message> messages) {}

    private final ModelService models;
    private final VersionService versions;

    public PromptService(ModelService models, VersionService versions) {
        this.models = models;
        this.versions = versions;
    }

    /** The prompt (a registered model) and its first version, in one transaction. */
    public Uni<Prompt> create(
            String actor,
            String name,
            Template template,
            String commitMessage,
            String description,
            List<KeyValue> tags,
            List<KeyValue> versionTags) {
        name(name);
        List<KeyValue> versionRows = versionTags(template, versionTags);
        List<KeyValue> modelRows = new ArrayList<>();
        modelRows.add(new KeyValue(IS_PROMPT_TAG, "true"));
        for (KeyValue t : tags) {
            if (!IS_PROMPT_TAG.equals(t.key())) {
                modelRows.add(t);
            }
        }
        return models.change(() -> models.create(actor, name, modelRows, description)
                        .flatMap(model ->
                                versions.create(actor, name, SOURCE, null, versionRows, null, commitMessage, null)))
                .map(PromptService::read)
                .onFailure(e -> e instanceof ApiException a && a.code() == ErrorCode.RESOURCE_ALREADY_EXISTS)
                .recoverWithUni(e -> models.get(name).map(existing -> {
                    throw taken(name, isPrompt(existing));
                }));
    }

    /** A new version of an existing prompt. */
    public Uni<Prompt> createVersion(
            String actor, String name, Template template, String commitMessage, List<KeyValue> versionTags) {
        requiredName(name);
        List<KeyValue> rows = versionTags(template, versionTags);
        return prompt(name)
                .flatMap(model -> versions.create(actor, name, SOURCE, null, rows, null, commitMessage, null))
                .map(PromptService::read);
    }

    /** A version by number or alias; with neither (or alias {@code latest}), the newest. */
    public Uni<Prompt> get(String name, String version, String alias) {
        requiredName(name);
        boolean byVersion = version != null && !version.isEmpty();
        boolean byAlias = alias != null && !alias.isEmpty();
        if (byVersion && byAlias) {
            throw ApiException.invalidParameter("Specify either version or alias of prompt '" + name + "', not both.");
        }
        Uni<VersionView> found;
        if (byVersion) {
            found = versions.get(name, version);
        } else if (byAlias && !alias.equals("latest")) {
            found = models.byAlias(name, alias);
        } else {
            found = prompt(name)
                    .flatMap(model -> versions.search(promptFilter(name), 1, List.of("version_number DESC"), null))
                    .map(page -> {
                        if (page.items().isEmpty()) {
                            throw ApiException.notFound("Prompt with name=" + name + " has no versions.");
                        }
                        return page.items().get(0);
                    });
        }
        return translated(found).map(view -> {
            if (tag(view, IS_PROMPT_TAG) == null) {
                throw notAPrompt(name);
            }
            return read(view);
        });
    }

    /** The prompt's versions, newest first, paged as MLflow's searches are. */
    public Uni<ResultPage<Prompt>> list(String name, long maxResults, String pageToken) {
        requiredName(name);
        if (maxResults < 1 || maxResults > MAX_LIST_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for request parameter max_results. It must be at most "
                    + MAX_LIST_RESULTS + ", but got value " + maxResults);
        }
        return prompt(name)
                .flatMap(model ->
                        versions.search(promptFilter(name), maxResults, List.of("version_number DESC"), pageToken))
                .map(page -> new ResultPage<>(
                        page.items().stream().map(PromptService::read).toList(), page.nextPageToken()));
    }

    /** A line diff from one version's template to another's. */
    public Uni<Diff> diff(String name, String from, String to) {
        requiredName(name);
        Inputs.required(from, "from_version");
        Inputs.required(to, "to_version");
        return get(name, from, null).flatMap(a -> get(name, to, null).map(b -> diff(lines(a), lines(b))));
    }

    /** The template with every variable replaced by its value; a variable without one is refused. */
    public Uni<Rendered> render(String name, String version, String alias, Map<String, String> values) {
        return get(name, version, alias).map(p -> {
            if (p.type().equals(JINJA2)) {
                throw ApiException.invalidParameter("Prompt '" + name + "' version "
                        + p.view().version().id.version() + " is a jinja2 template, which Skein does not render.");
            }
            List<String> missing =
                    p.variables().stream().filter(v -> !values.containsKey(v)).toList();
            if (!missing.isEmpty()) {
                throw ApiException.invalidParameter("Missing "
                        + (missing.size() == 1 ? "a value for variable " : "values for variables ")
                        + String.join(
                                ", ", missing.stream().map(v -> "'" + v + "'").toList()) + " of prompt '" + name
                        + "' version " + p.view().version().id.version() + ".");
            }
            if (!p.template().chat()) {
                return new Rendered(p, PromptTemplates.fill(p.template().text(), values), List.of());
            }
            return new Rendered(
                    p,
                    null,
                    p.template().messages().stream()
                            .map(m -> new Message(m.role(), PromptTemplates.fill(m.content(), values)))
                            .toList());
        });
    }

    // -- reading and writing MLflow's tags

    private static List<KeyValue> versionTags(Template template, List<KeyValue> extra) {
        if (template == null || (template.text() == null && template.messages().isEmpty())) {
            throw ApiException.invalidParameter("A prompt version needs a template: 'text', or chat 'messages'.");
        }
        if (template.text() != null && !template.messages().isEmpty()) {
            throw ApiException.invalidParameter("A template is either 'text' or chat 'messages', not both.");
        }
        List<KeyValue> rows = new ArrayList<>();
        rows.add(new KeyValue(IS_PROMPT_TAG, "true"));
        if (!template.chat()) {
            if (template.text().isEmpty()) {
                throw ApiException.invalidParameter("The template's 'text' must not be empty.");
            }
            rows.add(new KeyValue(TEXT_TAG, template.text()));
            rows.add(new KeyValue(TYPE_TAG, TEXT));
        } else {
            JsonArray messages = new JsonArray();
            for (int i = 0; i < template.messages().size(); i++) {
                Message m = template.messages().get(i);
                if (m.role() == null || m.role().isEmpty()) {
                    throw ApiException.invalidParameter("Message " + (i + 1) + " of the template has no 'role'.");
                }
                if (m.content() == null) {
                    throw ApiException.invalidParameter("Message " + (i + 1) + " of the template has no 'content'.");
                }
                messages.add(new JsonObject().put("role", m.role()).put("content", m.content()));
            }
            rows.add(new KeyValue(TEXT_TAG, messages.encode()));
            rows.add(new KeyValue(TYPE_TAG, CHAT));
        }
        for (KeyValue t : extra) {
            if (IS_PROMPT_TAG.equals(t.key()) || TEXT_TAG.equals(t.key()) || TYPE_TAG.equals(t.key())) {
                throw ApiException.invalidParameter(
                        "Tag '" + t.key() + "' is set from the template; it cannot be given as a version tag.");
            }
            rows.add(t);
        }
        return rows;
    }

    static Prompt read(VersionView view) {
        String text = tag(view, TEXT_TAG);
        if (text == null) {
            throw ApiException.invalidParameter("Prompt `" + view.modelName() + "` does not contain a prompt text");
        }
        String type = tag(view, TYPE_TAG);
        if (CHAT.equals(type)) {
            try {
                JsonArray array = new JsonArray(text);
                List<Message> messages = new ArrayList<>();
                for (Object o : array) {
                    JsonObject m = (JsonObject) o;
                    messages.add(new Message(m.getString("role"), String.valueOf(m.getValue("content"))));
                }
                return new Prompt(view, CHAT, new Template(null, messages));
            } catch (DecodeException | ClassCastException e) {
                // not MLflow's JSON: shown as the text it is
                return new Prompt(view, TEXT, new Template(text, List.of()));
            }
        }
        return new Prompt(view, JINJA2.equals(type) ? JINJA2 : TEXT, new Template(text, List.of()));
    }

    private static String tag(VersionView view, String key) {
        return view.tags().stream()
                .filter(t -> t.key().equals(key))
                .map(KeyValue::value)
                .findFirst()
                .orElse(null);
    }

    private static boolean isPrompt(ModelView model) {
        return model.tags().stream()
                .anyMatch(t -> t.key().equals(IS_PROMPT_TAG) && t.value().equals("true"));
    }

    private static List<String> lines(Prompt p) {
        if (!p.template().chat()) {
            return p.template().text().lines().toList();
        }
        List<String> lines = new ArrayList<>();
        for (Message m : p.template().messages()) {
            lines.add("[" + m.role() + "]");
            lines.addAll(m.content().lines().toList());
        }
        return lines;
    }

    static Diff diff(List<String> from, List<String> to) {
        List<DiffLine> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        int added = 0;
        int removed = 0;
        for (AbstractDelta<String> d : DiffUtils.diff(from, to).getDeltas()) {
            while (i < d.getSource().getPosition()) {
                out.add(new DiffLine(DiffLine.Op.EQUAL, from.get(i), i + 1, j + 1));
                i++;
                j++;
            }
            for (String line : d.getSource().getLines()) {
                out.add(new DiffLine(DiffLine.Op.DELETE, line, ++i, null));
                removed++;
            }
            for (String line : d.getTarget().getLines()) {
                out.add(new DiffLine(DiffLine.Op.INSERT, line, null, ++j));
                added++;
            }
        }
        while (i < from.size()) {
            out.add(new DiffLine(DiffLine.Op.EQUAL, from.get(i), i + 1, j + 1));
            i++;
            j++;
        }
        return new Diff(out, added, removed);
    }

    // -- checks and MLflow's words

    private static void name(String name) {
        Inputs.required(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw ApiException.invalidParameter(
                    "Prompt name can only contain alphanumeric characters, hyphens, underscores, and dots.");
        }
    }

    private static void requiredName(String name) {
        Inputs.required(name, "name");
    }

    /** The model, which must be a prompt. */
    private Uni<ModelView> prompt(String name) {
        return translated(models.get(name)).map(model -> {
            if (!isPrompt(model)) {
                throw notAPrompt(name);
            }
            return model;
        });
    }

    private static String promptFilter(String name) {
        return "name = '" + name.replace("'", "''") + "' AND tags.`" + IS_PROMPT_TAG + "` = 'true'";
    }

    /** MLflow's clients say "prompt" where the registry says "registered model" or "model version". */
    private static <T> Uni<T> translated(Uni<T> call) {
        return call.onFailure(ApiException.class).transform(e -> {
            ApiException a = (ApiException) e;
            String message = a.getMessage()
                    .replace("Registered Model", "Prompt")
                    .replace("Registered model", "Prompt")
                    .replace("Model Version", "Prompt version")
                    .replace("Model version", "Prompt version");
            return message.equals(a.getMessage()) ? a : new ApiException(a.code(), message);
        });
    }

    private static ApiException notAPrompt(String name) {
        return ApiException.invalidParameter("Name `" + name + "` is registered as a model, not a prompt.");
    }

    private static ApiException taken(String name, boolean byPrompt) {
        return byPrompt
                ? ApiException.alreadyExists("Prompt (name=" + name + ") already exists.")
                : ApiException.alreadyExists("Tried to create a prompt with name '" + name
                        + "', but the name is already taken by a registered model. MLflow does not allow creating"
                        + " a model and a prompt with the same name.");
    }
}
