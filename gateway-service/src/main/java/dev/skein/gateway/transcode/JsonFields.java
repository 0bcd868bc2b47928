package dev.skein.gateway.transcode;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.skein.common.error.ApiException;

/** Field lookup and MLflow's wording for values of the wrong type. */
final class JsonFields {

    private JsonFields() {}

    /** A field by its proto name ({@code run_id}) or its JSON name ({@code runId}); null if unknown. */
    static FieldDescriptor find(Descriptor type, String name) {
        FieldDescriptor f = type.findFieldByName(name);
        if (f != null) {
            return f;
        }
        for (FieldDescriptor candidate : type.getFields()) {
            if (candidate.getJsonName().equals(name)) {
                return candidate;
            }
        }
        return null;
    }

    static ApiException invalid(String path, Object value, String valueType) {
        return ApiException.invalidParameter(
                "Invalid value " + value + " for parameter '" + path + "' supplied. Hint: Value" + " was of type '"
                        + valueType + "'. See the API docs for more information about request parameters.");
    }

    /** The JSON type a field expects, for messages. */
    static String expected(FieldDescriptor f) {
        return switch (f.getJavaType()) {
            case STRING -> "string";
            case INT, LONG -> "integer";
            case FLOAT, DOUBLE -> "number";
            case BOOLEAN -> "boolean";
            case ENUM -> "enum";
            case MESSAGE -> "object";
            case BYTE_STRING -> "base64 string";
        };
    }

    static long parseInteger(String path, String text, FieldDescriptor f) {
        try {
            long v = Long.parseLong(text.trim());
            return checkRange(path, v, f, text);
        } catch (NumberFormatException e) {
            throw invalid(path, quote(text), "string");
        }
    }

    static long checkRange(String path, long v, FieldDescriptor f, Object shown) {
        if (f.getJavaType() == FieldDescriptor.JavaType.INT && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
            throw ApiException.invalidParameter("Invalid value " + shown + " for parameter '" + path
                    + "' supplied: it does not fit in a 32-bit integer.");
        }
        return v;
    }

    static double parseDouble(String path, String text) {
        switch (text) {
            case "NaN" -> {
                return Double.NaN;
            }
            case "Infinity" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-Infinity" -> {
                return Double.NEGATIVE_INFINITY;
            }
            default -> {
                try {
                    return Double.parseDouble(text.trim());
                } catch (NumberFormatException e) {
                    throw invalid(path, quote(text), "string");
                }
            }
        }
    }

    static boolean parseBoolean(String path, String text) {
        if (text.equalsIgnoreCase("true")) {
            return true;
        }
        if (text.equalsIgnoreCase("false")) {
            return false;
        }
        throw invalid(path, quote(text), "string");
    }

    static Object enumValue(String path, FieldDescriptor f, String name) {
        var value = f.getEnumType().findValueByName(name);
        if (value == null) {
            throw ApiException.invalidParameter("Invalid value " + quote(name) + " for parameter '" + path
                    + "' supplied. Valid values are "
                    + f.getEnumType().getValues().stream().map(v -> v.getName()).toList()
                    + ".");
        }
        return value;
    }

    static String quote(String s) {
        return "\"" + s + "\"";
    }
}
