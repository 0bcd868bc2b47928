package dev.skein.evaluation.service;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.skein.common.error.ApiException;
import dev.skein.common.prompt.PromptTemplates;
import dev.skein.common.validation.Inputs;
import dev.skein.evaluation.EvaluationRecord;
import dev.skein.evaluation.client.LlmGatewayClient;
import dev.skein.evaluation.client.RegistryClient;
import dev.skein.evaluation.client.TrackingClient;
import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.evaluation.judge.Judge;
import dev.skein.evaluation.judge.JudgeRunner;
import dev.skein.evaluation.judge.Judges;
import dev.skein.evaluation.repository.Evaluations;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import dev.skein.proto.evaluation.v1.PromptEvaluationSpec;
import dev.skein.proto.registry.v1.PromptMessage;
import dev.skein.proto.registry.v1.PromptVersion;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.Param;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * An evaluation of a prompt (a template × rows of variable values × LLM endpoints), started: everything checked before
 * anything is made, then one run per endpoint in the experiment (as the user, laid out like a prompt-lab run), and
 * one PENDING evaluation per run sharing a group id, in one transaction. The work itself is {@link PromptEvaluator}'s,
 * on the queue. Blocking: called on a worker thread.
 */
@ApplicationScoped
public class PromptEvaluations {

    private static final Logger LOG = Logger.getLogger(PromptEvaluations.class);
    public static final int MAX_ENDPOINTS = 10;
    static final int MAX_TEMPLATE = 100_000;
    static final int MAX_CELL = 100_000;
    static final int MAX_COLUMNS = 100;
    /** tracking-service's (MLflow's) longest param value and most params in one batch. */
    static final int MAX_PARAM_VALUE = 6000;

    static final int MAX_PARAMS = 100;
    /** The longest prompt one row may render to, and all rows' prompts together (characters). */
    static final int MAX_RENDERED_ROW = 100_000;

    static final long MAX_RENDERED_TOTAL = 16L << 20;
    /** The whole prompt spec (template, rows, parameters), stored with each of its evaluations. */
    static final int MAX_PROMPT_BYTES = 4 << 20;
    /** Columns a prompt evaluation's results table adds; a row may not have them. */
    static final Set<String> RESERVED = Set.of("inputs", "outputs", "error");
    /** The run tags of a prompt evaluation's runs. */
    public static final String GROUP_TAG = "skein.evaluation.group";

    public static final String PROMPT_URI_TAG = "skein.prompt.uri";
    static final Pattern URI = Pattern.compile("prompts:/([^/@]+)(?:/([0-9]+)|@([^/@]+))");

    /** A template as the runs use it: a text, or chat messages (role, content). */
    record Template(String text, List<Map<String, String>> messages) {
        List<String> texts() {
            return text != null
                    ? List.of(text)
                    : messages.stream().map(m -> m.get("content")).toList();
        }

        String asParam() {
            if (text != null) {
                return text;
            }
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(messages);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final TrackingClient tracking;
    private final RegistryClient registry;
    private final LlmGatewayClient llm;
    private final Evaluations evaluations;
    private final int maxRows;
    private final int maxCalls;
    private final int maxActive;

    public PromptEvaluations(
            TrackingClient tracking,
            RegistryClient registry,
            LlmGatewayClient llm,
            Evaluations evaluations,
            EvaluationConfig config) {
        this.tracking = tracking;
        this.registry = registry;
        this.llm = llm;
        this.evaluations = evaluations;
        this.maxRows = config.maxLlmRows();
        this.maxCalls = config.maxLlmCalls();
        this.maxActive = config.maxActiveLlmEvaluations();
    }

    /** Checks that need no other service (INVALID_PARAMETER_VALUE naming the field): run on the caller's thread. */
    void checkLocally(String runId, EvaluationSpec spec) {
        PromptEvaluationSpec p = spec.getPrompt();
        if (runId != null && !runId.isEmpty()) {
            throw ApiException.invalidParameter(
                    "A prompt evaluation makes its own runs (one per endpoint); run_id must not be given");
        }
        if (spec.hasData() || spec.hasTargets() || spec.hasPredictions() || spec.getProbabilitiesCount() > 0) {
            throw ApiException.invalidParameter(
                    "A prompt evaluation reads no table: spec.data, targets, predictions and probabilities are not given");
        }
        if (spec.hasModelType() && !spec.getModelType().equals("text")) {
            throw ApiException.invalidParameter("A prompt evaluation's model_type is text, not " + spec.getModelType());
        }
        if (!p.hasExperimentId() || p.getExperimentId().isEmpty()) {
            throw ApiException.invalidParameter("Missing value for required parameter 'spec.prompt.experiment_id'.");
        }
        Specs.checkText("spec.prompt.experiment_id", p.getExperimentId());
        boolean template = p.hasTemplate() && !p.getTemplate().isEmpty();
        boolean uri = p.hasPromptUri() && !p.getPromptUri().isEmpty();
        if (template == uri) {
            throw ApiException.invalidParameter(
                    "A prompt evaluation takes spec.prompt.template or spec.prompt.prompt_uri, exactly one of them");
        }
        if (template && p.getTemplate().length() > MAX_TEMPLATE) {
            throw ApiException.invalidParameter("spec.prompt.template is at most " + MAX_TEMPLATE + " characters, got "
                    + p.getTemplate().length());
        }
        if (uri && !URI.matcher(p.getPromptUri()).matches()) {
            throw ApiException.invalidParameter("spec.prompt.prompt_uri must be prompts:/<name>/<version> or"
                    + " prompts:/<name>@<alias> (@latest: the newest), got '" + cut(p.getPromptUri()) + "'");
        }
        if (p.getEndpointsCount() < 1 || p.getEndpointsCount() > MAX_ENDPOINTS) {
            throw ApiException.invalidParameter("spec.prompt.endpoints names 1 to " + MAX_ENDPOINTS
                    + " LLM endpoints, got " + p.getEndpointsCount());
        }
        Set<String> seen = new HashSet<>();
        for (String e : p.getEndpointsList()) {
            if (e.isEmpty()) {
                throw ApiException.invalidParameter("spec.prompt.endpoints holds an empty name");
            }
            Specs.checkText("spec.prompt.endpoints", e);
            if (!seen.add(e)) {
                throw ApiException.invalidParameter("spec.prompt.endpoints names '" + e + "' twice");
            }
        }
        if (p.getSerializedSize() > MAX_PROMPT_BYTES) {
            // kept in each of its evaluations' specs: bounded before anything is stored
            throw ApiException.invalidParameter("spec.prompt is " + p.getSerializedSize() + " bytes; at most "
                    + MAX_PROMPT_BYTES + " (its rows and template together)");
        }
        if (p.getRowsCount() < 1 || p.getRowsCount() > maxRows) {
            throw ApiException.invalidParameter("spec.prompt.rows holds 1 to " + maxRows
                    + " rows (skein.evaluation.max-llm-rows), got " + p.getRowsCount());
        }
        long calls = (long) p.getRowsCount() * p.getEndpointsCount() * (1 + spec.getJudgesCount());
        if (calls > maxCalls) {
            // bounded before anything is made: the tokens these calls spend are the user's
            throw ApiException.invalidParameter("This prompt evaluation would make " + calls + " LLM calls (rows "
                    + p.getRowsCount() + " × endpoints " + p.getEndpointsCount() + " × (1 + judges "
                    + spec.getJudgesCount() + ")); at most " + maxCalls + " (skein.evaluation.max-llm-calls)");
        }
        for (int i = 0; i < p.getRowsCount(); i++) {
            Struct row = p.getRows(i);
            if (row.getFieldsCount() > MAX_COLUMNS) {
                throw ApiException.invalidParameter(
                        "spec.prompt.rows[" + i + "] has more than " + MAX_COLUMNS + " columns");
            }
            for (Map.Entry<String, Value> f : row.getFieldsMap().entrySet()) {
                if (RESERVED.contains(f.getKey())) {
                    throw ApiException.invalidParameter("spec.prompt.rows[" + i + "] has a column named '" + f.getKey()
                            + "', which the results table adds (inputs, outputs, error)");
                }
                Specs.checkText("spec.prompt.rows[" + i + "] column name", f.getKey());
                Value.KindCase kind = f.getValue().getKindCase();
                if (kind == Value.KindCase.LIST_VALUE || kind == Value.KindCase.STRUCT_VALUE) {
                    throw ApiException.invalidParameter("spec.prompt.rows[" + i + "]." + f.getKey()
                            + " must be a string, a number, a boolean or null, not a "
                            + (kind == Value.KindCase.LIST_VALUE ? "list" : "object"));
                }
                if (kind == Value.KindCase.STRING_VALUE
                        && f.getValue().getStringValue().length() > MAX_CELL) {
                    throw ApiException.invalidParameter(
                            "spec.prompt.rows[" + i + "]." + f.getKey() + " is at most " + MAX_CELL + " characters");
                }
            }
        }
        if (p.hasModelParameters()) {
            Map<String, Object> params = Judges.parameters(p.getModelParameters(), "spec.prompt.model_parameters");
            Judges.refuseSent(params, "spec.prompt.model_parameters");
            for (String k : List.of("model", "model_route", "prompt_template")) {
                if (params.containsKey(k)) {
                    throw ApiException.invalidParameter(
                            "spec.prompt.model_parameters must not set '" + k + "': the evaluation sets it");
                }
            }
            // logged as the runs' params: tracking-service's rules, checked before any run is made
            if (params.size() + 2 > MAX_PARAMS) {
                throw ApiException.invalidParameter("spec.prompt.model_parameters holds at most " + (MAX_PARAMS - 2)
                        + " parameters (logged with model_route and prompt_template, " + MAX_PARAMS
                        + " params a batch), got " + params.size());
            }
            for (Map.Entry<String, Value> f :
                    p.getModelParameters().getFieldsMap().entrySet()) {
                Inputs.key("Param", f.getKey());
                Inputs.length("Param key", f.getKey(), Inputs.MAX_KEY_LENGTH);
                Inputs.length(
                        "spec.prompt.model_parameters." + f.getKey() + ", logged as a param,",
                        PromptlabRuns.str(f.getValue()),
                        MAX_PARAM_VALUE);
            }
        }
        if (p.hasRunName()) {
            Specs.checkText("spec.prompt.run_name", p.getRunName());
        }
        Specs.checkColMapping(spec);
        List<Judge> judges = Judges.resolve(spec.getJudgesList());
        for (Judge j : judges) {
            for (String c : j.contextColumns()) {
                String column = spec.getColMappingMap().getOrDefault(c, c);
                for (int i = 0; i < p.getRowsCount(); i++) {
                    if (!p.getRows(i).containsFields(column)) {
                        throw ApiException.invalidParameter("Judge " + j.key() + " reads column '" + column
                                + "' (grading context column '" + c + "'), which spec.prompt.rows[" + i
                                + "] does not have");
                    }
                }
            }
        }
        if (template) {
            Template t = new Template(p.getTemplate(), null);
            checkAsParam(t, "spec.prompt.template");
            checkVariables(t, p.getRowsList());
            checkRendered(t, p.getRowsList());
        }
    }

    /**
     * A template is logged as the runs' {@code prompt_template} param (as MLflow's prompt lab logs it), and a param
     * value is at most {@value #MAX_PARAM_VALUE} characters: a longer one is refused before any run is made.
     */
    static void checkAsParam(Template template, String what) {
        String value = template.asParam();
        if (value.length() > MAX_PARAM_VALUE) {
            throw ApiException.invalidParameter(what + " is " + value.length() + " characters"
                    + (template.text() == null ? " as JSON" : "") + "; it is logged as the runs' prompt_template"
                    + " param, at most " + MAX_PARAM_VALUE + " characters");
        }
    }

    /**
     * Each row's rendered prompt (a chat prompt's message contents together) is at most {@value #MAX_RENDERED_ROW}
     * characters and all rows' at most {@value #MAX_RENDERED_TOTAL}: measured from the template and the values,
     * before anything is made, so that no call is sent with a prompt the evaluation then cannot hold.
     */
    static void checkRendered(Template template, List<Struct> rows) {
        List<String> texts = template.texts();
        long total = 0;
        for (int i = 0; i < rows.size(); i++) {
            Map<String, String> values = new LinkedHashMap<>();
            rows.get(i).getFieldsMap().forEach((k, v) -> values.put(k, PromptlabRuns.str(v)));
            long length = 0;
            for (String t : texts) {
                length += PromptTemplates.filledLength(t, values);
            }
            if (length > MAX_RENDERED_ROW) {
                throw ApiException.invalidParameter("The prompt of spec.prompt.rows[" + i + "] is " + length
                        + " characters once its values are filled in; at most " + MAX_RENDERED_ROW);
            }
            total += length;
            if (total > MAX_RENDERED_TOTAL) {
                throw ApiException.invalidParameter("The rows' prompts are more than " + MAX_RENDERED_TOTAL
                        + " characters together once their values are filled in (passed at spec.prompt.rows[" + i
                        + "])");
            }
        }
    }

    /**
     * The user's prompt and judged evaluations not ended yet are fewer than {@code max}; else REQUEST_LIMIT_EXCEEDED
     * (429), before anything is made. Two requests at the same moment may both pass: the bound is on what waits, not
     * exact.
     */
    public static void checkActive(Evaluations evaluations, String userId, int max) {
        long active = evaluations.activeLlm(userId).await().atMost(java.time.Duration.ofSeconds(30));
        if (active >= max) {
            throw new ApiException(
                    dev.skein.proto.common.v1.ErrorCode.REQUEST_LIMIT_EXCEEDED,
                    "You have " + active + " prompt or judged evaluations not ended yet; at most " + max
                            + " at once (skein.evaluation.max-active-llm-evaluations). Try again when they have ended.");
        }
    }

    /** Every variable of the template in every row, else the first missing one and its row. */
    static void checkVariables(Template template, List<Struct> rows) {
        List<String> variables = PromptTemplates.variables(template.texts());
        for (int i = 0; i < rows.size(); i++) {
            for (String v : variables) {
                if (!rows.get(i).containsFields(v)) {
                    throw ApiException.invalidParameter("Template variable '" + v + "' has no value in row " + i
                            + " (spec.prompt.rows[" + i + "])");
                }
            }
        }
    }

    /** The template the uri names, and the uri pinned to its version. */
    record Resolved(Template template, String pinnedUri) {}

    Resolved resolve(String uri, String actor) {
        Matcher m = URI.matcher(uri);
        if (!m.matches()) {
            throw ApiException.invalidParameter("Not a prompt URI: " + uri);
        }
        String name = m.group(1);
        String version = m.group(2);
        String alias = m.group(3);
        PromptVersion pv = registry.promptVersion(name, version, alias, actor)
                .orElseThrow(() -> ApiException.notFound("Prompt " + uri + " not found"));
        if ("jinja2".equals(pv.getType())) {
            throw ApiException.invalidParameter("Prompt " + uri + " is a jinja2 template, which Skein does not render");
        }
        Template template;
        if (pv.getTemplate().getMessagesCount() > 0) {
            List<Map<String, String>> messages = new ArrayList<>();
            for (PromptMessage msg : pv.getTemplate().getMessagesList()) {
                Map<String, String> one = new LinkedHashMap<>();
                one.put("role", msg.getRole());
                one.put("content", msg.getContent());
                messages.add(one);
            }
            template = new Template(null, messages);
        } else {
            template = new Template(pv.getTemplate().getText(), null);
        }
        return new Resolved(template, "prompts:/" + name + "/" + pv.getVersion());
    }

    /** The checks against other services, then the runs and the evaluations. */
    public List<EvaluationRecord> create(EvaluationSpec spec, String userId, long now) {
        PromptEvaluationSpec p = spec.getPrompt();
        Template template;
        String pinned = null;
        if (p.hasPromptUri() && !p.getPromptUri().isEmpty()) {
            Resolved r = resolve(p.getPromptUri(), userId);
            template = r.template();
            pinned = r.pinnedUri();
            checkAsParam(template, "Prompt " + p.getPromptUri());
            checkVariables(template, p.getRowsList());
            checkRendered(template, p.getRowsList());
        } else {
            template = new Template(p.getTemplate(), null);
        }
        String stage = tracking.experimentStage(p.getExperimentId(), userId)
                .orElseThrow(() -> ApiException.notFound("Could not find experiment with ID " + p.getExperimentId()));
        if (!"active".equals(stage)) {
            throw ApiException.invalidState("The experiment " + p.getExperimentId()
                    + " must be in the 'active' state. Current state is " + stage + ".");
        }
        for (String e : p.getEndpointsList()) {
            String type = JudgeRunner.checkType(e, llm.endpointType(e, userId));
            if (template.text() == null && !LlmGatewayClient.CHAT.equals(type)) {
                throw ApiException.invalidParameter("Prompt " + p.getPromptUri() + " is a chat prompt; endpoint '" + e
                        + "' is " + type + ", not llm/v1/chat");
            }
        }
        Set<String> judgeEndpoints = new HashSet<>();
        for (Judge j : Judges.resolve(spec.getJudgesList())) {
            if (judgeEndpoints.add(j.endpoint())) {
                JudgeRunner.checkType(j.endpoint(), llm.endpointType(j.endpoint(), userId));
            }
        }
        checkActive(evaluations, userId, maxActive);
        // all checked: the runs, then the evaluations in one transaction
        List<UUID> ids = new ArrayList<>();
        p.getEndpointsList().forEach(e -> ids.add(UUID.randomUUID()));
        // the group's id is its first evaluation's
        UUID groupId = ids.get(0);
        List<String> runs = new ArrayList<>();
        String runName = p.hasRunName() && !p.getRunName().isEmpty() ? p.getRunName() : "prompt-eval";
        try {
            for (String endpoint : p.getEndpointsList()) {
                Run run = tracking.createRun(
                        CreateRun.newBuilder()
                                .setExperimentId(p.getExperimentId())
                                .setUserId(userId == null ? "unknown" : userId)
                                .setStartTime(now)
                                .setRunName(runName + "-" + endpoint)
                                .build(),
                        userId);
                String runId = run.getInfo().getRunId();
                runs.add(runId);
                tracking.logBatch(runId, params(template, endpoint, p), tags(groupId, pinned), userId);
            }
            // inside the cleanup: a database failure here must not leave the runs looking RUNNING
            String pinnedUri = pinned;
            List<EvaluationRecord> made = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                made.add(new EvaluationRecord(
                        ids.get(i),
                        runs.get(i),
                        perEndpoint(spec, p.getEndpoints(i), pinnedUri),
                        EvaluationRecord.Status.PENDING,
                        null,
                        Map.of(),
                        List.of(),
                        Map.of(),
                        EvaluationRecord.Trigger.API,
                        userId,
                        0,
                        0,
                        null,
                        now,
                        null,
                        null,
                        groupId));
            }
            evaluations
                    .pool()
                    .withTransaction(conn -> {
                        io.smallrye.mutiny.Uni<Void> chain =
                                io.smallrye.mutiny.Uni.createFrom().voidItem();
                        for (int i = 0; i < ids.size(); i++) {
                            int at = i;
                            EvaluationSpec one = perEndpoint(spec, p.getEndpoints(at), pinnedUri);
                            chain = chain.call(() -> evaluations.insertInGroup(
                                    conn, ids.get(at), runs.get(at), one, userId, groupId, now));
                        }
                        return chain;
                    })
                    .await()
                    .atMost(java.time.Duration.ofSeconds(30));
            return made;
        } catch (RuntimeException e) {
            // a run made before the failure is ended FAILED: nothing is left looking like a running evaluation
            for (String runId : runs) {
                try {
                    tracking.endRun(runId, RunStatus.FAILED, userId);
                } catch (RuntimeException ignored) {
                    LOG.warnf("Run %s of a prompt evaluation that could not start is left as it is", runId);
                }
            }
            throw e;
        }
    }

    /** The spec one evaluation works: its endpoint only, a registered prompt pinned to the version resolved. */
    static EvaluationSpec perEndpoint(EvaluationSpec spec, String endpoint, String pinnedUri) {
        PromptEvaluationSpec.Builder p =
                spec.getPrompt().toBuilder().clearEndpoints().addEndpoints(endpoint);
        if (pinnedUri != null) {
            p.setPromptUri(pinnedUri);
        }
        return spec.toBuilder().setModelType("text").setPrompt(p).build();
    }

    private static List<Param> params(Template template, String endpoint, PromptEvaluationSpec p) {
        List<Param> params = new ArrayList<>();
        if (p.hasModelParameters()) {
            p.getModelParameters().getFieldsMap().forEach((k, v) -> params.add(param(k, PromptlabRuns.str(v))));
        }
        params.add(param("model_route", endpoint));
        params.add(param("prompt_template", template.asParam()));
        return params;
    }

    private static Map<String, String> tags(UUID group, String pinnedUri) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("mlflow.runSourceType", "PROMPT_ENGINEERING");
        tags.put(GROUP_TAG, group.toString());
        if (pinnedUri != null) {
            tags.put(PROMPT_URI_TAG, pinnedUri);
        }
        return tags;
    }

    private static Param param(String key, String value) {
        return Param.newBuilder().setKey(key).setValue(value).build();
    }

    private static String cut(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }
}
