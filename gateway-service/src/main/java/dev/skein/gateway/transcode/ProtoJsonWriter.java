package dev.skein.gateway.transcode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.FieldMask;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.FieldMaskUtil;
import com.google.protobuf.util.Timestamps;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes a response message as MLflow's server does: set fields only, proto (snake_case) names,
 * enums by name, 64-bit integers as JSON numbers, NaN/±Infinity as "NaN", "Infinity",
 * "-Infinity", Timestamp / Duration as RFC 3339 and "1.5s" strings, Value / Struct / ListValue as
 * the JSON they hold and FieldMask as its string of lowerCamel paths (protobuf's JSON mapping).
 */
public final class ProtoJsonWriter {

    private static final JsonFactory FACTORY = new JsonFactory();

    private ProtoJsonWriter() {}

    public static byte[] write(Message message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writeMessage(g, message);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Writes the chunks of a streamed response as the single message they make up: the repeated
     * field they each carry a part of is concatenated; other fields are taken from the last chunk.
     * Each call returns the JSON text to send next, so nothing is held beyond one chunk.
     */
    public static final class Concatenation {

        private final FieldDescriptor streamed;
        private boolean open;

        public Concatenation(com.google.protobuf.Descriptors.Descriptor type) {
            List<FieldDescriptor> repeated = type.getFields().stream()
                    .filter(FieldDescriptor::isRepeated)
                    .toList();
            if (repeated.size() != 1) {
                throw new IllegalArgumentException(
                        type.getFullName() + " must have exactly one repeated field to stream");
            }
            this.streamed = repeated.get(0);
        }

        /** JSON for the streamed elements of one chunk. */
        public byte[] chunk(Message chunk) {
            int n = chunk.getRepeatedFieldCount(streamed);
            if (n == 0) {
                return new byte[0];
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(64 * n);
            try (JsonGenerator g = FACTORY.createGenerator(out).setRootValueSeparator(null)) {
                g.writeRaw(open ? "," : "{\"" + streamed.getName() + "\":[");
                for (int i = 0; i < n; i++) {
                    if (i > 0) {
                        g.writeRaw(',');
                    }
                    writeValue(g, streamed, chunk.getRepeatedField(streamed, i));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            open = true;
            return out.toByteArray();
        }

        /** JSON that completes the response: the other fields of the last chunk (if any). */
        public byte[] end(Message last) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(64);
            try (JsonGenerator g = FACTORY.createGenerator(out).setRootValueSeparator(null)) {
                g.writeRaw(open ? "]" : "{");
                boolean first = !open;
                if (last != null) {
                    for (Map.Entry<FieldDescriptor, Object> e :
                            last.getAllFields().entrySet()) {
                        if (e.getKey().equals(streamed)) {
                            continue;
                        }
                        g.writeRaw(first ? "" : ",");
                        first = false;
                        g.writeRaw("\"" + e.getKey().getName() + "\":");
                        writeValue(g, e.getKey(), e.getValue());
                    }
                }
                g.writeRaw("}");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }
    }

    private static void writeMessage(JsonGenerator g, Message message) throws IOException {
        g.writeStartObject();
        for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
            FieldDescriptor f = e.getKey();
            g.writeFieldName(f.getName());
            if (f.isMapField()) {
                writeMap(g, f, (List<?>) e.getValue());
            } else if (f.isRepeated()) {
                g.writeStartArray();
                for (Object element : (List<?>) e.getValue()) {
                    writeValue(g, f, element);
                }
                g.writeEndArray();
            } else {
                writeValue(g, f, e.getValue());
            }
        }
        g.writeEndObject();
    }

    /** A map field is a JSON object (proto3 JSON mapping), not a list of entries. */
    private static void writeMap(JsonGenerator g, FieldDescriptor f, List<?> entries) throws IOException {
        FieldDescriptor key = f.getMessageType().findFieldByName("key");
        FieldDescriptor value = f.getMessageType().findFieldByName("value");
        g.writeStartObject();
        for (Object entry : entries) {
            Message m = (Message) entry;
            g.writeFieldName(String.valueOf(m.getField(key)));
            writeValue(g, value, m.getField(value));
        }
        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, FieldDescriptor f, Object value) throws IOException {
        switch (f.getJavaType()) {
            case STRING -> g.writeString((String) value);
            case INT -> g.writeNumber((Integer) value);
            case LONG -> g.writeNumber((Long) value);
            case FLOAT -> writeDouble(g, (Float) value);
            case DOUBLE -> writeDouble(g, (Double) value);
            case BOOLEAN -> g.writeBoolean((Boolean) value);
            case ENUM -> g.writeString(((EnumValueDescriptor) value).getName());
            case BYTE_STRING -> g.writeString(Base64.getEncoder().encodeToString(((ByteString) value).toByteArray()));
            case MESSAGE -> writeMessageValue(g, (Message) value);
        }
    }

    /** Well-known types as protobuf's JSON mapping writes them (MLflow 3's request_time, execution_duration). */
    private static void writeMessageValue(JsonGenerator g, Message m) throws IOException {
        switch (m.getDescriptorForType().getFullName()) {
            case "google.protobuf.Timestamp" ->
                g.writeString(
                        Timestamps.toString(Timestamp.newBuilder().mergeFrom(m).build()));
            case "google.protobuf.Duration" ->
                g.writeString(
                        Durations.toString(Duration.newBuilder().mergeFrom(m).build()));
            case "google.protobuf.Value" ->
                writeJsonValue(g, Value.newBuilder().mergeFrom(m).build());
            case "google.protobuf.Struct" ->
                writeJsonValue(
                        g,
                        Value.newBuilder()
                                .setStructValue(Struct.newBuilder().mergeFrom(m))
                                .build());
            case "google.protobuf.ListValue" ->
                writeJsonValue(
                        g,
                        Value.newBuilder()
                                .setListValue(ListValue.newBuilder().mergeFrom(m))
                                .build());
            case "google.protobuf.FieldMask" ->
                g.writeString(FieldMaskUtil.toJsonString(
                        FieldMask.newBuilder().mergeFrom(m).build()));
            default -> writeMessage(g, m);
        }
    }

    /** A google.protobuf.Value as the JSON it stands for (MLflow 3's assessment values). */
    private static void writeJsonValue(JsonGenerator g, Value v) throws IOException {
        switch (v.getKindCase()) {
            case BOOL_VALUE -> g.writeBoolean(v.getBoolValue());
            case NUMBER_VALUE -> writeDouble(g, v.getNumberValue());
            case STRING_VALUE -> g.writeString(v.getStringValue());
            case LIST_VALUE -> {
                g.writeStartArray();
                for (Value element : v.getListValue().getValuesList()) {
                    writeJsonValue(g, element);
                }
                g.writeEndArray();
            }
            case STRUCT_VALUE -> {
                g.writeStartObject();
                for (Map.Entry<String, Value> e :
                        v.getStructValue().getFieldsMap().entrySet()) {
                    g.writeFieldName(e.getKey());
                    writeJsonValue(g, e.getValue());
                }
                g.writeEndObject();
            }
            default -> g.writeNull();
        }
    }

    private static void writeDouble(JsonGenerator g, double d) throws IOException {
        if (Double.isNaN(d)) {
            g.writeString("NaN");
        } else if (Double.isInfinite(d)) {
            g.writeString(d > 0 ? "Infinity" : "-Infinity");
        } else {
            g.writeNumber(d);
        }
    }
}
