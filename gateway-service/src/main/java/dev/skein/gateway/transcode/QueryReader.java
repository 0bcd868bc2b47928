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
            FieldDescriptor f = JsonFields.find(builder.getDescriptorForType(), e.getKey());
            if (f == null || e.getValue().isEmpty()) {
                continue;
            }
            if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                throw ApiException.invalidParameter(
                        "Parameter '" + f.getName() + "' cannot be given as a query parameter");
            }
            if (f.isRepeated()) {
                for (String v : e.getValue()) {
                    builder.addRepeatedField(f, convert(f, v));
                }
            } else {
                builder.setField(f, convert(f, e.getValue().get(e.getValue().size() - 1)));
            }
        }
        return builder.build();
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
