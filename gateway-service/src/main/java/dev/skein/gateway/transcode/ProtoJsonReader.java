package dev.skein.gateway.transcode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.FieldMask;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.skein.common.error.ApiException;
import java.io.IOException;

/**
 * Reads an MLflow JSON request body into a request message, by the message's descriptor. Strict
 * about types (a number where a string belongs is an error, as in MLflow), lenient where MLflow's
 * clients differ: int64 as number or string, doubles as numbers or "NaN"/"Infinity"/"-Infinity",
 * snake_case or lowerCamel names, unknown fields ignored, null meaning absent. Timestamp and
 * Duration are read from protobuf's JSON strings ("2025-01-01T00:00:00.5Z", "1.5s"), Value / Struct
 * / ListValue from any JSON, FieldMask from its string of lowerCamel paths.
 */
public final class ProtoJsonReader {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(
                    StreamReadConstraints.builder().maxNestingDepth(64).build())
            .build();

    private ProtoJsonReader() {}

    public static Message read(byte[] json, Message prototype) {
        Message.Builder builder = prototype.newBuilderForType();
        try (JsonParser p = FACTORY.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return builder.build();
            }
            if (first != JsonToken.START_OBJECT) {
                throw ApiException.invalidParameter(
                        "Malformed request body: expected a JSON object, found " + describe(first));
            }
            readObject(p, builder, "");
            if (p.nextToken() != null) {
                throw ApiException.invalidParameter("Malformed request body: unexpected content after the JSON object");
            }
            return builder.build();
        } catch (JsonProcessingException e) {
            throw ApiException.invalidParameter(
                    "Malformed request body, it is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.invalidParameter("Unreadable request body: " + e.getMessage());
        }
    }

    /** Reads fields until the END_OBJECT matching the START_OBJECT just consumed. */
    private static void readObject(JsonParser p, Message.Builder builder, String prefix) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            FieldDescriptor f = JsonFields.find(builder.getDescriptorForType(), name);
            if (f == null) {
                p.skipChildren();
                continue;
            }
            String path = prefix.isEmpty() ? f.getName() : prefix + "." + f.getName();
            if (value == JsonToken.VALUE_NULL) {
                builder.clearField(f);
                continue;
            }
            if (f.isMapField()) {
                if (value != JsonToken.START_OBJECT) {
                    throw JsonFields.invalid(path, text(p, value), describe(value));
                }
                builder.clearField(f);
                FieldDescriptor keyField = f.getMessageType().findFieldByName("key");
                FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    Message.Builder entry = builder.newBuilderForField(f);
                    entry.setField(keyField, mapKey(path, keyField, key));
                    entry.setField(valueField, value(p, p.nextToken(), entry, valueField, path + "[" + key + "]"));
                    builder.addRepeatedField(f, entry.build());
                }
            } else if (f.isRepeated()) {
                if (value != JsonToken.START_ARRAY) {
                    throw JsonFields.invalid(path, text(p, value), describe(value));
                }
                builder.clearField(f);
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    String element = path + "[" + i++ + "]";
                    if (p.currentToken() == JsonToken.VALUE_NULL) {
                        throw JsonFields.invalid(element, "null", "NoneType");
                    }
                    builder.addRepeatedField(f, value(p, p.currentToken(), builder, f, element));
                }
            } else {
                builder.setField(f, value(p, value, builder, f, path));
            }
        }
    }

    private static Object value(JsonParser p, JsonToken t, Message.Builder parent, FieldDescriptor f, String path)
            throws IOException {
        switch (f.getJavaType()) {
            case STRING -> {
                if (t != JsonToken.VALUE_STRING) {
                    throw JsonFields.invalid(path, text(p, t), describe(t));
                }
                return p.getText();
            }
            case INT, LONG -> {
                long v;
                if (t == JsonToken.VALUE_NUMBER_INT) {
                    try {
                        v = JsonFields.checkRange(path, p.getLongValue(), f, p.getText());
                    } catch (InputCoercionException tooBig) {
                        throw ApiException.invalidParameter("Invalid value " + p.getText() + " for parameter '" + path
                                + "' supplied: it does not fit in a 64-bit integer.");
                    }
                } else if (t == JsonToken.VALUE_NUMBER_FLOAT
                        && p.getDoubleValue() == Math.rint(p.getDoubleValue())
                        && Math.abs(p.getDoubleValue()) < 9.007199254740992E15) {
                    v = JsonFields.checkRange(path, (long) p.getDoubleValue(), f, p.getText());
                } else if (t == JsonToken.VALUE_STRING) {
                    v = JsonFields.parseInteger(path, p.getText(), f);
                } else {
                    throw JsonFields.invalid(path, text(p, t), describe(t));
                }
                return f.getJavaType() == FieldDescriptor.JavaType.INT ? (Object) (int) v : (Object) v;
            }
            case FLOAT, DOUBLE -> {
                double d;
                if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                    d = p.getDoubleValue();
                } else if (t == JsonToken.VALUE_STRING) {
                    d = JsonFields.parseDouble(path, p.getText());
                } else {
                    throw JsonFields.invalid(path, text(p, t), describe(t));
                }
                return f.getJavaType() == FieldDescriptor.JavaType.FLOAT ? (Object) (float) d : (Object) d;
            }
            case BOOLEAN -> {
                if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
                    return t == JsonToken.VALUE_TRUE;
                }
                if (t == JsonToken.VALUE_STRING) {
                    return JsonFields.parseBoolean(path, p.getText());
                }
                throw JsonFields.invalid(path, text(p, t), describe(t));
            }
            case ENUM -> {
                if (t == JsonToken.VALUE_STRING) {
                    return JsonFields.enumValue(path, f, p.getText());
                }
                if (t == JsonToken.VALUE_NUMBER_INT) {
                    var v = f.getEnumType().findValueByNumber(p.getIntValue());
                    if (v != null) {
                        return v;
                    }
                }
                throw JsonFields.invalid(path, text(p, t), describe(t));
            }
            case MESSAGE -> {
                String type = f.getMessageType().getFullName();
                switch (type) {
                    case "google.protobuf.Value" -> {
                        return jsonValue(p, t);
                    }
                    case "google.protobuf.Struct", "google.protobuf.ListValue" -> {
                        Value v = jsonValue(p, t);
                        if (type.equals("google.protobuf.Struct") ? !v.hasStructValue() : !v.hasListValue()) {
                            throw JsonFields.invalid(path, text(p, t), describe(t));
                        }
                        return type.equals("google.protobuf.Struct") ? v.getStructValue() : v.getListValue();
                    }
                    case "google.protobuf.FieldMask" -> {
                        if (t == JsonToken.VALUE_STRING) {
                            return fieldMask(p.getText());
                        }
                    }
                    default -> {
                        // an ordinary message, read below
                    }
                }
                if (t == JsonToken.VALUE_STRING
                        && (type.equals("google.protobuf.Timestamp") || type.equals("google.protobuf.Duration"))) {
                    try {
                        return type.equals("google.protobuf.Timestamp")
                                ? Timestamps.parse(p.getText())
                                : Durations.parse(p.getText());
                    } catch (java.text.ParseException e) {
                        throw JsonFields.invalid(path, text(p, t), describe(t));
                    }
                }
                if (t != JsonToken.START_OBJECT) {
                    throw JsonFields.invalid(path, text(p, t), describe(t));
                }
                Message.Builder sub = parent.newBuilderForField(f);
                readObject(p, sub, path);
                return sub.build();
            }
            default -> throw ApiException.invalidParameter("Parameter '" + path + "' cannot be set over JSON");
        }
    }

    /**
     * A google.protobuf.Value: any JSON, as protobuf's JSON mapping reads it (MLflow 3's assessment
     * values). Nesting is bounded by the parser's depth limit.
     */
    private static Value jsonValue(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case VALUE_NULL ->
                Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
            case VALUE_TRUE, VALUE_FALSE ->
                Value.newBuilder().setBoolValue(t == JsonToken.VALUE_TRUE).build();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT ->
                Value.newBuilder().setNumberValue(p.getDoubleValue()).build();
            case VALUE_STRING -> Value.newBuilder().setStringValue(p.getText()).build();
            case START_ARRAY -> {
                ListValue.Builder list = ListValue.newBuilder();
                JsonToken element;
                while ((element = p.nextToken()) != JsonToken.END_ARRAY) {
                    list.addValues(jsonValue(p, element));
                }
                yield Value.newBuilder().setListValue(list).build();
            }
            case START_OBJECT -> {
                Struct.Builder struct = Struct.newBuilder();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    struct.putFields(key, jsonValue(p, p.nextToken()));
                }
                yield Value.newBuilder().setStructValue(struct).build();
            }
            default -> throw ApiException.invalidParameter("Malformed request body: unexpected " + t);
        };
    }

    /** A FieldMask's JSON form: lowerCamel paths joined by commas ({@code "assessmentName,feedback"}). */
    private static FieldMask fieldMask(String text) {
        FieldMask.Builder mask = FieldMask.newBuilder();
        for (String path : text.split(",")) {
            if (!path.isBlank()) {
                mask.addPaths(snakeCase(path.trim()));
            }
        }
        return mask.build();
    }

    private static String snakeCase(String camel) {
        StringBuilder out = new StringBuilder(camel.length() + 4);
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append('_').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Map keys are JSON strings whatever their proto type. */
    private static Object mapKey(String path, FieldDescriptor key, String text) {
        return switch (key.getJavaType()) {
            case STRING -> text;
            case INT -> (int) JsonFields.parseInteger(path, text, key);
            case LONG -> JsonFields.parseInteger(path, text, key);
            case BOOLEAN -> JsonFields.parseBoolean(path, text);
            default -> throw ApiException.invalidParameter("Parameter '" + path + "' has keys of an unsupported type");
        };
    }

    private static String text(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> "{...}";
            case START_ARRAY -> "[...]";
            case VALUE_STRING -> JsonFields.quote(p.getText());
            default -> p.getText();
        };
    }

    /** The value's type in the words MLflow's (Python) messages use. */
    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "dict";
            case START_ARRAY -> "list";
            case VALUE_STRING -> "str";
            case VALUE_NUMBER_INT -> "int";
            case VALUE_NUMBER_FLOAT -> "float";
            case VALUE_TRUE, VALUE_FALSE -> "bool";
            case VALUE_NULL -> "NoneType";
            default -> t.name();
        };
    }
}
