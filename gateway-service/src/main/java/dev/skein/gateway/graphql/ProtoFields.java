package dev.skein.gateway.graphql;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import graphql.schema.DataFetcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bridge between MLflow's GraphQL types and the services' protobuf messages: a GraphQL field is
 * the protobuf field whose JSON name it carries ({@code experimentId} is {@code experiment_id}), as
 * in MLflow's schema, which is generated from the same messages. As there, a field the message does
 * not set reads as its default ({@code ""}, {@code 0}, an empty message), and a field the message
 * does not have (such as {@code apiError}) as null.
 */
final class ProtoFields {

    private ProtoFields() {}

    /** Reads a field of a protobuf message, or of a map (the echo fields), by its GraphQL name. */
    static final DataFetcher<Object> FETCHER = env -> {
        Object source = env.getSource();
        String name = env.getField().getName();
        if (source instanceof Message message) {
            FieldDescriptor field = byJsonName(message.getDescriptorForType(), name);
            return field == null ? null : toGraphql(field, message.getField(field));
        }
        if (source instanceof Map<?, ?> map) {
            return map.get(name);
        }
        return null;
    };

    private static FieldDescriptor byJsonName(Descriptor type, String jsonName) {
        for (FieldDescriptor field : type.getFields()) {
            if (field.getJsonName().equals(jsonName)) {
                return field;
            }
        }
        return null;
    }

    private static Object toGraphql(FieldDescriptor field, Object value) {
        if (field.isRepeated()) {
            List<Object> out = new ArrayList<>();
            for (Object element : (List<?>) value) {
                out.add(single(element));
            }
            return out;
        }
        return single(value);
    }

    private static Object single(Object value) {
        return value instanceof EnumValueDescriptor e ? e.getName() : value;
    }

    /**
     * Sets the fields of a request message from a GraphQL input object, as MLflow parses its input
     * into the same request: unset (null) fields are left out.
     */
    static Message request(Message prototype, Map<String, Object> input) {
        Message.Builder builder = prototype.newBuilderForType();
        if (input != null) {
            fill(builder, input);
        }
        return builder.build();
    }

    @SuppressWarnings("unchecked")
    private static void fill(Message.Builder builder, Map<String, Object> input) {
        Descriptor type = builder.getDescriptorForType();
        input.forEach((name, value) -> {
            if (value == null) {
                return;
            }
            FieldDescriptor field = byJsonName(type, name);
            if (field == null) {
                return; // the schema has no input field the request lacks; nothing to set
            }
            if (field.isRepeated()) {
                for (Object element : (List<Object>) value) {
                    if (element != null) {
                        builder.addRepeatedField(field, scalar(builder, field, element));
                    }
                }
            } else {
                builder.setField(field, scalar(builder, field, value));
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static Object scalar(Message.Builder builder, FieldDescriptor field, Object value) {
        return switch (field.getJavaType()) {
            case STRING -> value.toString();
            case INT -> ((Number) value).intValue();
            case LONG -> value instanceof Number n ? n.longValue() : Long.parseLong(value.toString());
            case DOUBLE -> ((Number) value).doubleValue();
            case FLOAT -> ((Number) value).floatValue();
            case BOOLEAN -> value;
            case ENUM -> {
                EnumValueDescriptor e = field.getEnumType().findValueByName(value.toString());
                if (e == null) {
                    throw new ApiException(
                            ErrorCode.INVALID_PARAMETER_VALUE,
                            "Invalid value " + value + " for parameter '" + field.getName() + "'");
                }
                yield e;
            }
            case MESSAGE -> {
                Message.Builder nested = builder.newBuilderForField(field);
                fill(nested, (Map<String, Object>) value);
                yield nested.build();
            }
            default -> throw new IllegalArgumentException("Unsupported field type " + field.getJavaType());
        };
    }
}
