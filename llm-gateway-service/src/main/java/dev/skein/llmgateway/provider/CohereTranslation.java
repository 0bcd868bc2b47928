package dev.skein.llmgateway.provider;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.EndpointType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Cohere's v1 API ({@code https://api.cohere.ai/v1}, as MLflow 2.17 calls it) ↔ the OpenAI shapes the rest of the
 * gateway speaks, as MLflow's Cohere provider maps them ({@code mlflow/gateway/providers/cohere.py}). Chat goes to
 * {@code /chat}: the last message (a user's) is {@code message}, earlier user and assistant messages the {@code
 * chat_history} ({@code USER}/{@code CHATBOT}), system messages the {@code preamble}; {@code n} must be 1 and {@code
 * stop} is refused (MLflow's 422s). Completions go to {@code /generate} ({@code stop} → {@code stop_sequences},
 * {@code n} → {@code num_generations}), embeddings to {@code /embed} ({@code input} → {@code texts}). Temperature is
 * multiplied by 2.5 (Cohere's range is 0–5), {@code top_p} sent as Cohere's {@code p}. Beyond MLflow: the finish
 * reason ({@code COMPLETE} → {@code stop}, {@code MAX_TOKENS} → {@code length}) and the usage ({@code
 * token_count}, else {@code meta.billed_units}) are kept. Beyond MLflow 2.17 (which does not translate them), tool
 * calls both ways ({@link CohereTools}): the tool messages that end a conversation go as Cohere's top-level {@code
 * tool_results} with an empty {@code message}, earlier ones as {@code TOOL} turns of the {@code chat_history}, as
 * Cohere's multi-step flow sends them.
 */
public final class CohereTranslation {

    private CohereTranslation() {}

    /** The path under the API's base for an endpoint of {@code type}. */
    public static String path(EndpointType type) {
        return switch (type) {
            case CHAT -> "chat";
            case COMPLETIONS -> "generate";
            case EMBEDDINGS -> "embed";
        };
    }

    /** The request Cohere gets for an MLflow/OpenAI-shaped {@code payload}; {@code model} is added by the provider. */
    public static JsonObject request(Endpoint endpoint, JsonObject payload) {
        JsonObject out = payload.copy();
        out.remove("stream_options"); // OpenAI's: Cohere reports the usage of every stream
        if (endpoint.type() != EndpointType.CHAT && (out.containsKey("tools") || out.containsKey("tool_choice"))) {
            throw new RefusedRequest("The cohere provider calls tools in chats only");
        }
        return switch (endpoint.type()) {
            case CHAT -> chatRequest(out);
            case COMPLETIONS -> completionsRequest(out);
            case EMBEDDINGS -> embeddingsRequest(out);
        };
    }

    /** MLflow's {@code _scale_temperature} (a temperature of 0 stays 0), and Cohere's name of {@code top_p}. */
    private static void sampling(JsonObject out) {
        if (out.getValue("temperature") instanceof Number t && t.doubleValue() != 0) {
            out.put("temperature", 2.5 * t.doubleValue());
        }
        if (out.containsKey("top_p")) {
            out.put("p", out.remove("top_p"));
        }
    }

    private static JsonObject chatRequest(JsonObject out) {
        Object n = out.remove("n");
        if (n != null && !(n instanceof Number num && num.doubleValue() == 1)) {
            throw new RefusedRequest("Parameter n must be 1 for Cohere chat, got " + n + ".");
        }
        if (out.containsKey("stop")) {
            throw new RefusedRequest("Parameter stop is not supported for Cohere chat.");
        }
        sampling(out);
        if (!(out.remove("messages") instanceof JsonArray messages) || messages.isEmpty()) {
            throw new RefusedRequest("'messages' must be a list of at least one message");
        }
        Object toolsValue = out.remove("tools");
        if (toolsValue != null && !(toolsValue instanceof JsonArray)) {
            throw new RefusedRequest("'tools' must be a list of tools");
        }
        JsonArray tools = toolsValue instanceof JsonArray list && !list.isEmpty() ? CohereTools.tools(list) : null;
        boolean offered = CohereTools.offersTools(out.remove("tool_choice"));
        if (Boolean.FALSE.equals(out.getValue("parallel_tool_calls"))) {
            throw new RefusedRequest("parallel_tool_calls false cannot be sent to Cohere: its v1 chat may call"
                    + " several tools at once and has no setting against it");
        }
        out.remove("parallel_tool_calls");
        // the tool messages that end the conversation answer the last turn's calls: Cohere's top-level tool_results
        // with an empty message (its multi-step flow); otherwise the last message is the user's
        int trailing = messages.size();
        while (trailing > 0
                && "tool".equals(message(messages.getValue(trailing - 1)).getValue("role"))) {
            trailing--;
        }
        int historyEnd = trailing;
        if (trailing == messages.size()) {
            JsonObject last = message(messages.getValue(messages.size() - 1));
            if (!"user".equals(last.getValue("role"))) {
                throw new RefusedRequest("Last message must be from user, got " + last.getValue("role") + ".");
            }
            out.put("message", text(last));
            historyEnd = messages.size() - 1;
        } else {
            out.put("message", "");
        }
        Map<String, JsonObject> calls = new HashMap<>();
        StringBuilder preamble = new StringBuilder();
        JsonArray history = new JsonArray();
        for (int i = 0; i < historyEnd; i++) {
            JsonObject m = message(messages.getValue(i));
            String role = String.valueOf(m.getValue("role"));
            switch (role) {
                case "system" -> {
                    if (!preamble.isEmpty()) {
                        preamble.append('\n');
                    }
                    preamble.append(text(m));
                }
                case "user" -> history.add(new JsonObject().put("role", "USER").put("message", text(m)));
                case "assistant" -> {
                    JsonObject turn = new JsonObject().put("role", "CHATBOT");
                    if (m.getValue("tool_calls") instanceof JsonArray toolCalls && !toolCalls.isEmpty()) {
                        turn.put("message", m.getValue("content") == null ? "" : text(m));
                        turn.put("tool_calls", CohereTools.calls(toolCalls, calls));
                    } else {
                        turn.put("message", text(m));
                    }
                    history.add(turn);
                }
                case "tool" -> {
                    // consecutive tool messages answer one turn's calls: one TOOL entry, as Cohere's history has it
                    JsonObject lastTurn = history.isEmpty() ? null : history.getJsonObject(history.size() - 1);
                    if (lastTurn == null || !"TOOL".equals(lastTurn.getValue("role"))) {
                        lastTurn = new JsonObject().put("role", "TOOL").put("tool_results", new JsonArray());
                        history.add(lastTurn);
                    }
                    lastTurn.getJsonArray("tool_results").add(CohereTools.result(m, calls));
                }
                default ->
                    throw new RefusedRequest("The cohere provider does not take messages of role '" + role + "'");
            }
        }
        JsonArray results = new JsonArray();
        for (int i = trailing; i < messages.size(); i++) {
            results.add(CohereTools.result(message(messages.getValue(i)), calls));
        }
        if (!results.isEmpty()) {
            if (tools == null) {
                throw new RefusedRequest("Cohere's v1 chat takes tool results only with the tools they came from:"
                        + " send 'tools' with the conversation");
            }
            out.put("tool_results", results);
        }
        if (tools != null && (offered || !results.isEmpty())) {
            out.put("tools", tools);
            if (!offered) {
                // tool_choice none with results to answer: Cohere needs the tools beside their results; a single
                // step answers them without calling more
                out.put("force_single_step", true);
            }
        }
        if (!preamble.isEmpty()) {
            out.put("preamble", preamble.toString());
        }
        if (!history.isEmpty()) {
            out.put("chat_history", history);
        }
        return out;
    }

    private static JsonObject message(Object value) {
        if (value instanceof JsonObject m) {
            return m;
        }
        throw new RefusedRequest("each message must be an object");
    }

    private static String text(JsonObject message) {
        if (message.getValue("content") instanceof String s) {
            return s;
        }
        throw new RefusedRequest("The cohere provider takes messages whose content is a string");
    }

    /** MLflow's {@code completions_to_model}: OpenAI's names in, Cohere's out; Cohere's own names refused. */
    private static JsonObject completionsRequest(JsonObject out) {
        for (String[] names : new String[][] {{"stop", "stop_sequences"}, {"n", "num_generations"}}) {
            if (out.containsKey(names[1])) {
                throw new RefusedRequest("Invalid parameter " + names[1] + ". Use " + names[0] + " instead.");
            }
            if (out.containsKey(names[0])) {
                out.put(names[1], out.remove(names[0]));
            }
        }
        sampling(out);
        return out;
    }

    private static JsonObject embeddingsRequest(JsonObject out) {
        if (out.containsKey("texts")) {
            throw new RefusedRequest("Invalid parameter texts. Use input instead.");
        }
        Object input = out.remove("input");
        JsonArray texts = input instanceof String s ? new JsonArray().add(s) : null;
        if (input instanceof JsonArray list && list.stream().allMatch(String.class::isInstance)) {
            texts = list;
        }
        if (texts == null) {
            throw new RefusedRequest("The cohere provider embeds text: 'input' must be a string or a list of strings");
        }
        return out.put("texts", texts);
    }

    /** Cohere's answer in OpenAI's shape: a {@code chat.completion} (generations as choices), or the embeddings. */
    public static JsonObject answer(Endpoint endpoint, JsonObject resp) {
        try {
            return switch (endpoint.type()) {
                case CHAT -> chat(endpoint, resp);
                case COMPLETIONS -> generations(endpoint, resp);
                case EMBEDDINGS -> embeddings(endpoint, resp);
            };
        } catch (UpstreamException e) {
            throw e.answered();
        } catch (RuntimeException e) {
            throw unreadable("an unexpected shape");
        }
    }

    private static JsonObject chat(Endpoint endpoint, JsonObject resp) {
        JsonArray toolCalls = CohereTools.openAiCalls(resp.getValue("tool_calls"));
        Object text = resp.getValue("text");
        if (!(text instanceof String) && !(text == null && toolCalls != null)) {
            throw unreadable("text");
        }
        JsonObject message = new JsonObject().put("role", "assistant").put("content", text);
        String finish = finish(resp.getValue("finish_reason"));
        if (toolCalls != null) {
            // Cohere's text beside its calls is empty, or the plan of a multi-step answer
            message.put("content", text == null || ((String) text).isEmpty() ? null : text);
            message.put("tool_calls", toolCalls);
            finish = "tool_calls";
        }
        JsonObject choice =
                new JsonObject().put("index", 0).put("message", message).put("finish_reason", finish);
        return completion(endpoint, resp.getValue("response_id"), new JsonArray().add(choice), usage(resp));
    }

    private static JsonObject generations(Endpoint endpoint, JsonObject resp) {
        if (!(resp.getValue("generations") instanceof JsonArray generations)) {
            throw unreadable("generations");
        }
        JsonArray choices = new JsonArray();
        for (int i = 0; i < generations.size(); i++) {
            JsonObject g = generations.getJsonObject(i);
            if (!(g.getValue("text") instanceof String text)) {
                throw unreadable("generations[].text");
            }
            choices.add(new JsonObject()
                    .put("index", i)
                    .put("message", new JsonObject().put("role", "assistant").put("content", text))
                    .put("finish_reason", finish(g.getValue("finish_reason"))));
        }
        return completion(endpoint, resp.getValue("id"), choices, usage(resp));
    }

    private static JsonObject completion(Endpoint endpoint, Object id, JsonArray choices, JsonObject usage) {
        return new JsonObject()
                .put("id", id)
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", model(endpoint))
                .put("choices", choices)
                .put("usage", usage);
    }

    private static JsonObject embeddings(Endpoint endpoint, JsonObject resp) {
        Object value = resp.getValue("embeddings");
        if (value instanceof JsonObject byType) {
            value = byType.getValue("float"); // with embedding_types: the floats
        }
        if (!(value instanceof JsonArray embeddings)) {
            throw unreadable("embeddings");
        }
        JsonArray data = new JsonArray();
        for (int i = 0; i < embeddings.size(); i++) {
            if (!(embeddings.getValue(i) instanceof JsonArray vector)) {
                throw unreadable("embeddings[]");
            }
            data.add(new JsonObject()
                    .put("object", "embedding")
                    .put("embedding", vector)
                    .put("index", i));
        }
        JsonObject usage = usage(resp);
        return new JsonObject()
                .put("object", "list")
                .put("data", data)
                .put("model", model(endpoint))
                .put(
                        "usage",
                        usage == null
                                ? null
                                : new JsonObject()
                                        .put("prompt_tokens", usage.getValue("prompt_tokens"))
                                        .put("total_tokens", usage.getValue("prompt_tokens")));
    }

    private static String model(Endpoint endpoint) {
        return endpoint.modelName() != null ? endpoint.modelName() : "cohere";
    }

    /** MLflow's {@code token_count}, else Cohere's {@code meta.billed_units} (what it charges), as OpenAI's usage. */
    private static JsonObject usage(JsonObject resp) {
        if (resp == null) {
            return null;
        }
        if (resp.getValue("token_count") instanceof JsonObject count
                && count.getValue("prompt_tokens") instanceof Number in
                && count.getValue("response_tokens") instanceof Number out) {
            return openAiUsage(in.longValue(), out.longValue());
        }
        if (resp.getValue("meta") instanceof JsonObject meta
                && meta.getValue("billed_units") instanceof JsonObject billed
                && billed.getValue("input_tokens") instanceof Number in) {
            long out = billed.getValue("output_tokens") instanceof Number o ? o.longValue() : 0;
            return openAiUsage(in.longValue(), out);
        }
        return null;
    }

    private static JsonObject openAiUsage(long in, long out) {
        return new JsonObject()
                .put("prompt_tokens", in)
                .put("completion_tokens", out)
                .put("total_tokens", in + out);
    }

    private static String finish(Object reason) {
        if (!(reason instanceof String r)) {
            return null;
        }
        return switch (r) {
            case "COMPLETE", "STOP_SEQUENCE", "END_TURN" -> "stop";
            case "MAX_TOKENS" -> "length";
            case "ERROR_TOXIC" -> "content_filter";
            default -> r.toLowerCase(Locale.ROOT);
        };
    }

    private static UpstreamException unreadable(String what) {
        return new UpstreamException(502, "The provider's answer could not be read (" + what + ")").answered();
    }

    /**
     * One Cohere v1 stream (newline-delimited JSON events, not server-sent events), as OpenAI's chunks: {@code
     * stream-start} a first chunk with the role (chat), each {@code text-generation} a chunk of its text (its
     * {@code index} the choice's, for several generations), {@code stream-end} the last chunk with the finish reason
     * and the usage of its {@code response}; other events (citations, search results) nothing. A {@code stream-end}
     * that says {@code ERROR} ends the stream with the error event.
     *
     * <p>Tool calls: a {@code tool-calls-chunk} naming a tool begins OpenAI's tool call (its id made up here), one
     * carrying plan text ({@code tool_call_delta.text}) is content; the pieces of its {@code parameters} are held
     * until {@code tool-calls-generation} (or {@code stream-end}) gives the whole call, whose parameters are then
     * sent as one arguments delta: the same JSON text as the non-streamed answer's (Cohere's pieces are the model's
     * own spacing of it). The stream then finishes with {@code tool_calls}.
     */
    public static final class Stream implements StreamDialect {
        private final Endpoint endpoint;
        private final long created = System.currentTimeMillis() / 1000;
        private Object id;
        /** Cohere's index of each tool call begun → its id. */
        private final Map<Integer, String> begun = new LinkedHashMap<>();
        /** Cohere's index of each call whose parameters are still held → the pieces so far. */
        private final Map<Integer, StringBuilder> pieces = new LinkedHashMap<>();

        private boolean argumentsSent;
        private boolean planSent;

        public Stream(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public boolean jsonLines() {
            return true;
        }

        @Override
        public JsonObject next(JsonObject event) {
            Object type = event.getValue("event_type");
            if (type == null && event.getValue("text") != null) {
                type = "text-generation";
            }
            switch (String.valueOf(type)) {
                case "stream-start" -> {
                    id = event.getValue("generation_id");
                    return chunk(new JsonArray()
                            .add(choice(
                                    0, new JsonObject().put("role", "assistant").put("content", ""), null)));
                }
                case "text-generation" -> {
                    if (!(event.getValue("text") instanceof String text)) {
                        throw unreadable("text");
                    }
                    int index = event.getValue("index") instanceof Number n ? n.intValue() : 0;
                    return chunk(new JsonArray().add(choice(index, new JsonObject().put("content", text), null)));
                }
                case "tool-calls-chunk" -> {
                    return toolCallsChunk(event);
                }
                case "tool-calls-generation" -> {
                    JsonObject delta = new JsonObject();
                    if (!planSent && event.getValue("text") instanceof String plan && !plan.isEmpty()) {
                        delta.put("content", plan);
                        planSent = true;
                    }
                    JsonArray calls = wholeCalls(event.getValue("tool_calls"));
                    if (calls != null) {
                        delta.put("tool_calls", calls);
                    }
                    return delta.isEmpty() ? null : chunk(new JsonArray().add(choice(0, delta, null)));
                }
                case "stream-end" -> {
                    return end(event);
                }
                default -> {
                    return null; // search-queries-generation, search-results, citation-generation, …
                }
            }
        }

        private JsonObject toolCallsChunk(JsonObject event) {
            if (!(event.getValue("tool_call_delta") instanceof JsonObject delta)) {
                throw unreadable("tool_call_delta");
            }
            if (delta.getValue("name") instanceof String name) {
                int index = delta.getValue("index") instanceof Number n ? n.intValue() : begun.size();
                String callId = CohereTools.newId();
                begun.put(index, callId);
                pieces.put(index, new StringBuilder());
                if (delta.getValue("parameters") instanceof String piece) {
                    pieces.get(index).append(piece);
                }
                return chunk(new JsonArray().add(choice(0, StreamDialect.toolCallBegins(index, callId, name), null)));
            }
            if (delta.getValue("parameters") instanceof String piece) {
                int index = delta.getValue("index") instanceof Number n ? n.intValue() : begun.size() - 1;
                StringBuilder held = pieces.get(index);
                if (held == null) {
                    throw unreadable("tool_call_delta.index");
                }
                held.append(piece);
                return null;
            }
            if (delta.getValue("text") instanceof String plan && !plan.isEmpty()) {
                planSent = true;
                return chunk(new JsonArray().add(choice(0, new JsonObject().put("content", plan), null)));
            }
            return null;
        }

        /**
         * The whole calls of a {@code tool-calls-generation} (or of the {@code stream-end}'s response) as OpenAI's
         * deltas: the arguments of each call begun, or the whole call when none of its chunks came; null when they
         * were sent already or there are none.
         */
        private JsonArray wholeCalls(Object toolCalls) {
            if (argumentsSent || !(toolCalls instanceof JsonArray calls) || calls.isEmpty()) {
                return null;
            }
            JsonArray deltas = new JsonArray();
            for (int i = 0; i < calls.size(); i++) {
                if (!(calls.getValue(i) instanceof JsonObject call)) {
                    throw unreadable("tool_calls[]");
                }
                String arguments;
                String name;
                try {
                    arguments = CohereTools.arguments(call);
                    name = CohereTools.name(call);
                } catch (IllegalArgumentException e) {
                    throw unreadable(e.getMessage());
                }
                if (begun.containsKey(i)) {
                    deltas.add(element(StreamDialect.toolCallArguments(i, arguments)));
                } else {
                    String callId = CohereTools.newId();
                    begun.put(i, callId);
                    JsonObject whole = element(StreamDialect.toolCallBegins(i, callId, name));
                    whole.getJsonObject("function").put("arguments", arguments);
                    deltas.add(whole);
                }
            }
            argumentsSent = true;
            pieces.clear();
            return deltas;
        }

        private static JsonObject element(JsonObject delta) {
            return delta.getJsonArray("tool_calls").getJsonObject(0);
        }

        private JsonObject end(JsonObject event) {
            Object reason = event.getValue("finish_reason");
            if (reason instanceof String r && (r.equals("ERROR") || r.equals("ERROR_LIMIT"))) {
                return new JsonObject()
                        .put("error", new JsonObject().put("message", "Cohere ended the stream with " + r));
            }
            JsonObject response = event.getValue("response") instanceof JsonObject r ? r : null;
            if (id == null && response != null) {
                id = response.getValue("response_id", response.getValue("id"));
            }
            JsonObject delta = new JsonObject();
            JsonArray calls = response == null ? null : wholeCalls(response.getValue("tool_calls"));
            if (calls == null && !argumentsSent && !pieces.isEmpty()) {
                // the calls never came whole: their pieces as Cohere streamed them
                calls = new JsonArray();
                for (Map.Entry<Integer, StringBuilder> held : pieces.entrySet()) {
                    String text =
                            held.getValue().isEmpty() ? "{}" : held.getValue().toString();
                    calls.add(element(StreamDialect.toolCallArguments(held.getKey(), text)));
                }
                argumentsSent = true;
            }
            if (calls != null) {
                delta.put("tool_calls", calls);
            }
            JsonArray choices = new JsonArray();
            if (response != null && response.getValue("generations") instanceof JsonArray generations) {
                for (int i = 0; i < generations.size(); i++) {
                    JsonObject g = generations.getJsonObject(i);
                    int index = g.getValue("index") instanceof Number n ? n.intValue() : i;
                    Object own = g.getValue("finish_reason", reason);
                    choices.add(choice(index, new JsonObject(), finish(own)));
                }
            }
            if (choices.isEmpty()) {
                choices.add(choice(0, delta, begun.isEmpty() ? finish(reason) : "tool_calls"));
            }
            JsonObject last = chunk(choices);
            JsonObject usage = usage(response);
            if (usage != null) {
                last.put("usage", usage);
            }
            return last;
        }

        private static JsonObject choice(int index, JsonObject delta, String finish) {
            return new JsonObject().put("index", index).put("delta", delta).put("finish_reason", finish);
        }

        private JsonObject chunk(JsonArray choices) {
            return new JsonObject()
                    .put("id", id)
                    .put("object", "chat.completion.chunk")
                    .put("created", created)
                    .put("model", model(endpoint))
                    .put("choices", choices);
        }
    }
}
