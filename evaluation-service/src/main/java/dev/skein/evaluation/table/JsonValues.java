package dev.skein.evaluation.table;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** One JSON cell as a row value; nested arrays and objects become Lists and Maps (one cell at a time). */
final class JsonValues {

    static final ObjectMapper MAPPER = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    static final JsonFactory FACTORY = MAPPER.getFactory();

    private JsonValues() {}

    /** The value at the parser's current token. */
    static Object read(JsonParser parser) throws IOException {
        JsonToken token = parser.currentToken();
        return switch (token) {
            case VALUE_NULL -> null;
            case VALUE_STRING -> parser.getText();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NUMBER_INT ->
                parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? (Object) parser.getDoubleValue()
                        : (Object) parser.getLongValue();
            case VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
            case START_ARRAY, START_OBJECT -> MAPPER.readValue(parser, Object.class);
            default -> throw new IOException("unexpected " + token);
        };
    }

    /** An object's members as a row, the parser on its START_OBJECT; leaves the parser on its END_OBJECT. */
    static Map<String, Object> readObject(JsonParser parser) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            parser.nextToken();
            values.put(name, read(parser));
        }
        return values;
    }
}
