package dev.skein.evaluation.table;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Assembles one Parquet record into a row's values, as the JSON readers give them: every top-level column is a
 * key (a null value is missing); integers are {@code Long}, floating point and decimals {@code Double}, text
 * (BINARY annotated STRING, ENUM or JSON, and unannotated BINARY) {@code String}, booleans {@code Boolean}; a
 * LIST (or a repeated field) is a {@code List}, a MAP a {@code Map} with the keys as text, a group (struct) a
 * {@code Map}. UUIDs are their canonical text, INT96 timestamps their nanoseconds since the epoch (a
 * {@code Long}); other byte values (unannotated FIXED_LEN_BYTE_ARRAY, BSON, …) are lowercase hex text.
 */
final class ParquetRows extends RecordMaterializer<Map<String, Object>> {

    private Map<String, Object> current;
    private final GroupValue root;

    ParquetRows(GroupType schema) {
        root = new GroupValue(schema, value -> current = asMap(value), true);
    }

    @Override
    public Map<String, Object> getCurrentRecord() {
        return current;
    }

    @Override
    public GroupConverter getRootConverter() {
        return root;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return (Map<String, Object>) value;
    }

    private static Converter converter(Type type, Consumer<Object> sink) {
        return type.isPrimitive()
                ? new PrimitiveValue(type.asPrimitiveType(), sink)
                : new GroupValue(type.asGroupType(), sink, false);
    }

    /** A group: the row itself, a struct, a LIST or a MAP. */
    private static final class GroupValue extends GroupConverter {
        private final GroupType type;
        private final Consumer<Object> sink;
        private final boolean root;
        private final Converter[] children;
        private final String[] names;
        private final boolean[] repeated;
        private Map<String, Object> values;

        GroupValue(GroupType type, Consumer<Object> sink, boolean root) {
            this.type = type;
            this.sink = sink;
            this.root = root;
            int n = type.getFieldCount();
            children = new Converter[n];
            names = new String[n];
            repeated = new boolean[n];
            for (int i = 0; i < n; i++) {
                Type field = type.getType(i);
                String name = field.getName();
                names[i] = name;
                repeated[i] = field.isRepetition(Type.Repetition.REPEATED);
                Consumer<Object> put =
                        repeated[i] ? value -> list(values.get(name)).add(value) : value -> values.put(name, value);
                children[i] = converter(field, put);
            }
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return children[fieldIndex];
        }

        @Override
        public void start() {
            values = new LinkedHashMap<>(names.length * 2);
            for (int i = 0; i < names.length; i++) {
                values.put(names[i], repeated[i] ? new ArrayList<>() : null);
            }
        }

        @Override
        public void end() {
            sink.accept(root ? values : shape());
        }

        private Object shape() {
            LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
            if (annotation instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation && names.length == 1) {
                return elements(type.getType(0), values.get(names[0]));
            }
            if ((annotation instanceof LogicalTypeAnnotation.MapLogicalTypeAnnotation
                            || annotation instanceof LogicalTypeAnnotation.MapKeyValueTypeAnnotation)
                    && names.length == 1
                    && !type.getType(0).isPrimitive()) {
                Map<String, Object> map = new LinkedHashMap<>();
                for (Object entry : list(values.get(names[0]))) {
                    Map<String, Object> pair = asMap(entry);
                    var fields = pair.values().iterator();
                    Object key = fields.hasNext() ? fields.next() : null;
                    map.put(String.valueOf(key), fields.hasNext() ? fields.next() : null);
                }
                return map;
            }
            return values;
        }

        /**
         * A LIST's elements as the Parquet spec's backward-compatibility rules read them: a repeated primitive,
         * or a repeated group of several fields (or named {@code array} / {@code <list>_tuple}), is the element
         * itself; otherwise (the standard 3-level list) the repeated group's one field is.
         */
        private List<Object> elements(Type repeatedField, Object collected) {
            List<Object> items = list(collected);
            if (items == null || repeatedField.isPrimitive()) {
                return items;
            }
            GroupType group = repeatedField.asGroupType();
            if (group.getFieldCount() != 1
                    || group.getName().equals("array")
                    || group.getName().equals(type.getName() + "_tuple")) {
                return items;
            }
            List<Object> unwrapped = new ArrayList<>(items.size());
            for (Object item : items) {
                unwrapped.add(asMap(item).values().iterator().next());
            }
            return unwrapped;
        }

        @SuppressWarnings("unchecked")
        private static List<Object> list(Object value) {
            return (List<Object>) value;
        }
    }

    /** A primitive column's values, mapped by its physical and logical type. */
    private static final class PrimitiveValue extends PrimitiveConverter {
        private static final long JULIAN_EPOCH_DAY = 2_440_588L;
        private static final long NANOS_PER_DAY = 86_400_000_000_000L;

        private final PrimitiveType type;
        private final LogicalTypeAnnotation annotation;
        private final Consumer<Object> sink;
        private Object[] dictionary;

        PrimitiveValue(PrimitiveType type, Consumer<Object> sink) {
            this.type = type;
            this.annotation = type.getLogicalTypeAnnotation();
            this.sink = sink;
        }

        @Override
        public boolean hasDictionarySupport() {
            return true;
        }

        @Override
        public void setDictionary(Dictionary values) {
            dictionary = new Object[values.getMaxId() + 1];
            for (int id = 0; id < dictionary.length; id++) {
                dictionary[id] = switch (type.getPrimitiveTypeName()) {
                    case BINARY, FIXED_LEN_BYTE_ARRAY, INT96 -> binary(values.decodeToBinary(id));
                    case INT32 -> int32(values.decodeToInt(id));
                    case INT64 -> int64(values.decodeToLong(id));
                    case FLOAT -> (double) values.decodeToFloat(id);
                    case DOUBLE -> values.decodeToDouble(id);
                    case BOOLEAN -> values.decodeToBoolean(id);
                };
            }
        }

        @Override
        public void addValueFromDictionary(int dictionaryId) {
            sink.accept(dictionary[dictionaryId]);
        }

        @Override
        public void addBoolean(boolean value) {
            sink.accept(value);
        }

        @Override
        public void addInt(int value) {
            sink.accept(int32(value));
        }

        @Override
        public void addLong(long value) {
            sink.accept(int64(value));
        }

        @Override
        public void addFloat(float value) {
            sink.accept((double) value);
        }

        @Override
        public void addDouble(double value) {
            sink.accept(value);
        }

        @Override
        public void addBinary(Binary value) {
            sink.accept(binary(value));
        }

        private Object int32(int value) {
            if (annotation instanceof DecimalLogicalTypeAnnotation decimal) {
                return BigDecimal.valueOf(value, decimal.getScale()).doubleValue();
            }
            if (annotation instanceof IntLogicalTypeAnnotation integer && !integer.isSigned()) {
                return Integer.toUnsignedLong(value);
            }
            return (long) value;
        }

        private Object int64(long value) {
            if (annotation instanceof DecimalLogicalTypeAnnotation decimal) {
                return BigDecimal.valueOf(value, decimal.getScale()).doubleValue();
            }
            if (annotation instanceof IntLogicalTypeAnnotation integer && !integer.isSigned() && value < 0) {
                return new BigInteger(Long.toUnsignedString(value)).doubleValue();
            }
            return value;
        }

        private Object binary(Binary value) {
            if (type.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT96) {
                ByteBuffer bytes = value.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                long nanosOfDay = bytes.getLong(bytes.position());
                long julianDay = Integer.toUnsignedLong(bytes.getInt(bytes.position() + 8));
                return (julianDay - JULIAN_EPOCH_DAY) * NANOS_PER_DAY + nanosOfDay;
            }
            if (annotation instanceof DecimalLogicalTypeAnnotation decimal) {
                if (value.length() > ParquetTableReader.MAX_DECIMAL_BYTES) {
                    throw new TableException("cannot read the Parquet table: column " + type.getName()
                            + " holds a DECIMAL of " + value.length() + " bytes; at most "
                            + ParquetTableReader.MAX_DECIMAL_BYTES + " are read");
                }
                return new BigDecimal(new BigInteger(value.getBytes()), decimal.getScale()).doubleValue();
            }
            if (annotation instanceof LogicalTypeAnnotation.UUIDLogicalTypeAnnotation && value.length() == 16) {
                ByteBuffer bytes = value.toByteBuffer();
                return new UUID(bytes.getLong(bytes.position()), bytes.getLong(bytes.position() + 8)).toString();
            }
            if (annotation instanceof LogicalTypeAnnotation.Float16LogicalTypeAnnotation && value.length() == 2) {
                byte[] bytes = value.getBytes();
                return (double) float16((short) ((bytes[1] & 0xff) << 8 | (bytes[0] & 0xff)));
            }
            boolean text = annotation == null
                    ? type.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY
                    : annotation instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
                            || annotation instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
                            || annotation instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation;
            return text ? value.toStringUsingUTF8() : HexFormat.of().formatHex(value.getBytes());
        }

        /** IEEE 754 half precision (little-endian in Parquet) to float. */
        private static float float16(short bits) {
            int sign = (bits >> 15) & 1;
            int exponent = (bits >> 10) & 0x1f;
            int fraction = bits & 0x3ff;
            float magnitude;
            if (exponent == 0) {
                magnitude = fraction * 0x1p-24f;
            } else if (exponent == 31) {
                magnitude = fraction == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
            } else {
                magnitude = (1 + fraction / 1024f) * (float) Math.pow(2, exponent - 15);
            }
            return sign == 1 ? -magnitude : magnitude;
        }
    }
}
