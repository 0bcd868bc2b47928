package dev.skein.gateway.transcode;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.skein.common.error.ApiException;
import java.util.List;
import java.util.Map;

/**
 * Maps GET query parameters onto a request message, as MLflow's server does: each parameter is
 * the field of that name; a repeated field takes every occurrence ({@code run_ids=a&run_ids=b}).
 */
public final class QueryReader {

    private QueryReader() {}

    public static Message read(Map<String, List<String>> params, Message prototype) {
        Message.Builder builder = prototype.newBuilderForType();
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            set(builder, e.getKey(), e.getValue());
        }
        return builder.build();
    }

    /**
     * Sets the field a parameter names; a dotted name ({@code assessment.trace_id}, as a path
     * template's {@code {assessment.trace_id}}) names a field of a message field.
     */
    private static void set(Message.Builder builder, String name, List<String> values) {
        int dot = name.indexOf('.');
        if (dot > 0) {
            FieldDescriptor outer = JsonFields.find(builder.getDescriptorForType(), name.substring(0, dot));
            if (outer != null && outer.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !outer.isRepeated()) {
                set(builder.getFieldBuilder(outer), name.substring(dot + 1), values);
            }
            return;
        }
        FieldDescriptor f = JsonFields.find(builder.getDescriptorForType(), name);
        if (f == null || values.isEmpty()) {
            return;
        }
        if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            throw ApiException.invalidParameter("Parameter '" + f.getName() + "' cannot be given as a query parameter");
        }
        if (f.isRepeated()) {
            for (String v : values) {
                builder.addRepeatedField(f, convert(f, v));
            }
        } else {
            builder.setField(f, convert(f, values.get(values.size() - 1)));
        }
    }

    private static Object convert(FieldDescriptor f, String text) {
        String path = f.getName();
        return switch (f.getJavaType()) {
            case STRING -> text;
            case INT -> (int) JsonFields.parseInteger(path, text, f);
            case LONG -> JsonFields.parseInteger(path, text, f);
            case DOUBLE -> JsonFields.parseDouble(path, text);
            case FLOAT -> (float) JsonFields.parseDouble(path, text);
            case BOOLEAN -> JsonFields.parseBoolean(path, text);
            case ENUM -> JsonFields.enumValue(path, f, text);
            default ->
                throw ApiException.invalidParameter("Parameter '" + path + "' cannot be given as a query parameter");
        };
    }
}
