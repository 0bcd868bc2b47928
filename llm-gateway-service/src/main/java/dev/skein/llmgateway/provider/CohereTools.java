package dev.skein.llmgateway.provider;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * OpenAI's tool calls ↔ Cohere's v1 chat ({@code docs.cohere.com/v1}: tool use, multi-step tool use, parameter
 * types). OpenAI's function tools become Cohere's {@code {name, description, parameter_definitions}}, each parameter
 * with a Python-style type ({@code str}, {@code int}, {@code float}, {@code bool}, {@code List[...]}, {@code
 * Dict[...]}); a schema Cohere cannot describe (a nested object, {@code $ref}, {@code anyOf}…) is refused, never
 * dropped. An assistant's {@code tool_calls} become a {@code CHATBOT} turn's {@code tool_calls} ({@code {name,
 * parameters}}), {@code tool} messages Cohere's {@code tool_results} ({@code {call, outputs}}): the call found by
 * {@code tool_call_id} among the earlier assistant messages' calls (Cohere v1 has no call ids; it pairs a result
 * with the call itself). Cohere's calls come back with ids made up here, {@code call_…}, unique per call.
 */
final class CohereTools {

    /** Annotations with no meaning for the call, left out. */
    private static final Set<String> IGNORED = Set.of("title", "$schema", "$comment", "examples", "deprecated");

    /**
     * Constraints Cohere's types cannot carry: told to the model in the parameter's description instead, as Cohere
     * advises for enums and defaults.
     */
    private static final Set<String> DESCRIBED = Set.of(
            "enum",
            "default",
            "const",
            "format",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "minLength",
            "maxLength",
            "pattern",
            "minItems",
            "maxItems",
            "uniqueItems");

    private static final Map<String, String> SCALARS =
            Map.of("string", "str", "integer", "int", "number", "float", "boolean", "bool");

    private CohereTools() {}

    /** OpenAI's function {@code tools} as Cohere's. */
    static JsonArray tools(JsonArray tools) {
        JsonArray out = new JsonArray();
        for (Object t : tools) {
            if (!(t instanceof JsonObject tool)
                    || !"function".equals(tool.getValue("type"))
                    || !(tool.getValue("function") instanceof JsonObject function)
                    || !(function.getValue("name") instanceof String name)) {
                throw new RefusedRequest("The cohere provider takes tools of type 'function' (with a name) only");
            }
            if (Boolean.TRUE.equals(function.getValue("strict"))) {
                throw new RefusedRequest("Tool '" + name + "': Cohere's v1 chat cannot hold a call to its schema"
                        + " strictly; send the tool without 'strict'");
            }
            Object description = function.getValue("description");
            JsonObject cohere =
                    new JsonObject().put("name", name).put("description", description instanceof String d ? d : "");
            JsonObject definitions = parameterDefinitions(name, function.getValue("parameters"));
            if (!definitions.isEmpty()) {
                cohere.put("parameter_definitions", definitions);
            }
            out.add(cohere);
        }
        return out;
    }

    /** A function's JSON Schema ({@code type: object}) as Cohere's {@code parameter_definitions}. */
    private static JsonObject parameterDefinitions(String tool, Object parameters) {
        JsonObject definitions = new JsonObject();
        if (parameters == null) {
            return definitions;
        }
        if (!(parameters instanceof JsonObject schema)) {
            throw refused(tool, "parameters", "must be a JSON Schema object");
        }
        for (String key : schema.fieldNames()) {
            if (!IGNORED.contains(key)
                    && !Set.of("type", "properties", "required", "description", "additionalProperties")
                            .contains(key)) {
                throw refused(
                        tool,
                        "parameters",
                        "uses '" + key + "', which Cohere's v1 parameter_definitions cannot" + " describe");
            }
        }
        if (schema.containsKey("type") && !"object".equals(schema.getValue("type"))) {
            throw refused(tool, "parameters", "must be of type 'object'");
        }
        if (schema.containsKey("additionalProperties")
                && !(schema.getValue("additionalProperties") instanceof Boolean)) {
            throw refused(
                    tool, "parameters", "has a schema for additionalProperties, which Cohere's v1 cannot describe");
        }
        Object properties = schema.getValue("properties");
        if (properties != null && !(properties instanceof JsonObject)) {
            throw refused(tool, "parameters.properties", "must be an object");
        }
        Object required = schema.getValue("required");
        if (required != null && !(required instanceof JsonArray)) {
            throw refused(tool, "parameters.required", "must be a list of names");
        }
        if (properties == null) {
            return definitions;
        }
        for (Map.Entry<String, Object> p : (JsonObject) properties) {
            String where = "parameters.properties." + p.getKey();
            if (!(p.getValue() instanceof JsonObject property)) {
                throw refused(tool, where, "must be a JSON Schema object");
            }
            List<String> notes = new ArrayList<>();
            String type = type(tool, where, property, notes, "");
            JsonObject definition = new JsonObject();
            String description = property.getValue("description") instanceof String d ? d : "";
            if (!notes.isEmpty()) {
                description = (description.isEmpty() ? "" : description + " ") + String.join(" ", notes);
            }
            if (!description.isEmpty()) {
                definition.put("description", description);
            }
            definition.put("type", type);
            definition.put("required", required != null && ((JsonArray) required).contains(p.getKey()));
            definitions.put(p.getKey(), definition);
        }
        return definitions;
    }

    /**
     * The Python-style type Cohere's v1 takes for a JSON Schema (Cohere's table: string → str, integer → int, number
     * → float, boolean → bool, array → List or List[item], object → Dict or Dict[str, value]); constraints go to
     * {@code notes}, prefixed with {@code prefix} ("items ") when they are an item's.
     */
    private static String type(String tool, String where, JsonObject schema, List<String> notes, String prefix) {
        for (String key : schema.fieldNames()) {
            if (DESCRIBED.contains(key)) {
                notes.add(note(prefix, key, schema.getValue(key)));
            } else if (!IGNORED.contains(key)
                    && !Set.of("type", "description", "items", "properties", "additionalProperties")
                            .contains(key)) {
                throw refused(tool, where, "uses '" + key + "', which Cohere's v1 parameter types cannot describe");
            }
        }
        if (!(schema.getValue("type") instanceof String type)) {
            throw refused(tool, where, "needs a single 'type' (Cohere's v1 parameter types have no union or 'any')");
        }
        if (SCALARS.containsKey(type)) {
            if (schema.containsKey("items") || schema.containsKey("properties")) {
                throw refused(tool, where, "mixes '" + type + "' with items or properties");
            }
            return SCALARS.get(type);
        }
        return switch (type) {
            case "array" -> {
                if (schema.containsKey("properties") || schema.containsKey("additionalProperties")) {
                    throw refused(tool, where, "mixes 'array' with properties");
                }
                Object items = schema.getValue("items");
                if (items == null) {
                    yield "List";
                }
                if (!(items instanceof JsonObject item)) {
                    throw refused(tool, where + ".items", "must be one schema (Cohere's v1 has no tuples)");
                }
                yield "List[" + type(tool, where + ".items", item, notes, prefix + "items ") + "]";
            }
            case "object" -> {
                if (schema.getValue("properties") instanceof JsonObject props && !props.isEmpty()) {
                    throw refused(
                            tool,
                            where,
                            "is an object with properties: Cohere's v1 parameter types cannot"
                                    + " describe nested objects");
                }
                if (schema.containsKey("items")) {
                    throw refused(tool, where, "mixes 'object' with items");
                }
                Object values = schema.getValue("additionalProperties");
                if (values instanceof JsonObject valueSchema) {
                    yield "Dict[str, "
                            + type(tool, where + ".additionalProperties", valueSchema, notes, prefix + "values ")
                            + "]";
                }
                if (Boolean.FALSE.equals(values)) {
                    throw refused(tool, where, "is an object that may hold nothing");
                }
                yield "Dict";
            }
            default -> throw refused(tool, where, "has type '" + type + "', which Cohere's v1 cannot describe");
        };
    }

    /** A constraint as words for the model: Cohere's own advice for enums ("Possible enum values: a, b."). */
    private static String note(String prefix, String key, Object value) {
        String label = prefix.isEmpty() ? "" : capitalise(prefix.trim()) + ": ";
        if (key.equals("enum") && value instanceof JsonArray values) {
            List<String> shown = new ArrayList<>();
            for (Object v : values) {
                shown.add(v instanceof String s ? s : String.valueOf(v));
            }
            return label + "Possible enum values: " + String.join(", ", shown) + ".";
        }
        String shown = value instanceof String s ? s : String.valueOf(value);
        return label + (key.equals("default") ? "Default" : key) + ": " + shown + ".";
    }

    private static String capitalise(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static RefusedRequest refused(String tool, String where, String why) {
        return new RefusedRequest("Tool '" + tool + "': " + where + " " + why + "; the cohere provider refuses"
                + " what it cannot send faithfully");
    }

    /**
     * OpenAI's {@code tool_choice} for Cohere's v1, which has no counterpart: {@code auto} (or none given) is Cohere's
     * own behaviour, true; {@code none} false (no tools are offered); {@code required} or one function is refused.
     */
    static boolean offersTools(Object choice) {
        if (choice == null || "auto".equals(choice)) {
            return true;
        }
        if ("none".equals(choice)) {
            return false;
        }
        if ("required".equals(choice) || choice instanceof JsonObject) {
            throw new RefusedRequest(
                    "tool_choice " + (choice instanceof JsonObject ? "naming a function" : "'required'")
                            + " cannot be sent to Cohere: its v1 chat cannot be made to call a tool. Use 'auto' or 'none'.");
        }
        throw new RefusedRequest("Invalid tool_choice '" + choice + "': auto, none, required or a function.");
    }

    /**
     * An assistant's {@code tool_calls} as Cohere's ({@code {name, parameters}}), each also kept in {@code calls} by
     * its id for the {@code tool} messages that answer it.
     */
    static JsonArray calls(JsonArray toolCalls, Map<String, JsonObject> calls) {
        JsonArray out = new JsonArray();
        for (Object c : toolCalls) {
            if (!(c instanceof JsonObject call)
                    || !(call.getValue("function") instanceof JsonObject function)
                    || !(function.getValue("name") instanceof String name)) {
                throw new RefusedRequest("tool_calls[].function.name is required");
            }
            JsonObject cohere =
                    new JsonObject().put("name", name).put("parameters", OpenAiTranslation.toolArguments(function));
            if (call.getValue("id") instanceof String id) {
                calls.put(id, cohere);
            }
            out.add(cohere);
        }
        return out;
    }

    /**
     * A {@code tool} message as Cohere's tool result: the call it answers (by {@code tool_call_id}) and its outputs, a
     * list of objects: the content's JSON object, the objects of its JSON list, else {@code {"result": content}}.
     */
    static JsonObject result(JsonObject message, Map<String, JsonObject> calls) {
        Object id = message.getValue("tool_call_id");
        JsonObject call = id instanceof String s ? calls.get(s) : null;
        if (call == null) {
            throw new RefusedRequest("A tool message's tool_call_id must name a tool call of an earlier assistant"
                    + " message (Cohere's v1 tool results repeat the call they answer)");
        }
        if (!(message.getValue("content") instanceof String content)) {
            throw new RefusedRequest("The cohere provider takes tool messages whose content is a string");
        }
        return new JsonObject().put("call", call.copy()).put("outputs", outputs(content));
    }

    private static JsonArray outputs(String content) {
        String trimmed = content.strip();
        try {
            if (trimmed.startsWith("{")) {
                return new JsonArray().add(new JsonObject(trimmed));
            }
            if (trimmed.startsWith("[")) {
                JsonArray list = new JsonArray(trimmed);
                if (!list.isEmpty() && list.stream().allMatch(JsonObject.class::isInstance)) {
                    return list;
                }
            }
        } catch (DecodeException e) {
            // not JSON: a text result
        }
        return new JsonArray().add(new JsonObject().put("result", content));
    }

    /** Cohere's {@code tool_calls} ({@code {name, parameters}}) as OpenAI's, or null when there are none. */
    static JsonArray openAiCalls(Object toolCalls) {
        if (toolCalls == null) {
            return null;
        }
        if (!(toolCalls instanceof JsonArray calls)) {
            throw new IllegalArgumentException("tool_calls");
        }
        JsonArray out = new JsonArray();
        for (Object c : calls) {
            JsonObject call = (JsonObject) c;
            out.add(new JsonObject()
                    .put("id", newId())
                    .put("type", "function")
                    .put("function", new JsonObject().put("name", name(call)).put("arguments", arguments(call))));
        }
        return out.isEmpty() ? null : out;
    }

    /** A call's name (required). */
    static String name(JsonObject call) {
        if (call.getValue("name") instanceof String name) {
            return name;
        }
        throw new IllegalArgumentException("tool_calls[].name");
    }

    /** A call's parameters as OpenAI's arguments: the JSON text of the object (empty parameters: {@code {}}). */
    static String arguments(JsonObject call) {
        Object parameters = call.getValue("parameters");
        if (parameters == null) {
            return "{}";
        }
        if (!(parameters instanceof JsonObject p)) {
            throw new IllegalArgumentException("tool_calls[].parameters");
        }
        return p.encode();
    }

    /** An id for a call Cohere gave none: unique per call. */
    static String newId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "");
    }
}
