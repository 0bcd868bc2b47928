package dev.skein.gateway.transcode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes a response message as MLflow's server does: set fields only, proto (snake_case) names,
 * enums by name, 64-bit integers as JSON numbers, and NaN/±Infinity as "NaN", "Infinity",
 * "-Infinity".
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

    private static void writeMessage(JsonGenerator g, Message message) throws IOException {
        g.writeStartObject();
        for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
            FieldDescriptor f = e.getKey();
            g.writeFieldName(f.getName());
            if (f.isRepeated()) {
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
            case MESSAGE -> writeMessage(g, (Message) value);
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
