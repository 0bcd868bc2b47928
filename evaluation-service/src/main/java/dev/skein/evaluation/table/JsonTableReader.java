package dev.skein.evaluation.table;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * MLflow's logged-table JSON ({@code {"columns": [...], "data": [[...], ...]}}, pandas' {@code orient="split"})
 * through Jackson's streaming parser: {@code data} is read one row at a time, never held whole. {@code columns}
 * must come before {@code data}, as pandas writes them; {@code index} is skipped. A top-level array of objects
 * (pandas' {@code orient="records"}) is read as rows keyed by name.
 */
final class JsonTableReader extends TableReader {

    private final JsonParser parser;
    private final List<String> columns;
    private boolean inData;

    JsonTableReader(InputStream in) throws IOException {
        parser = JsonValues.FACTORY.createParser(in);
        JsonToken first = parser.nextToken();
        if (first == JsonToken.START_ARRAY) {
            columns = null; // records
            inData = true;
            return;
        }
        if (first != JsonToken.START_OBJECT) {
            throw new TableException("the JSON table must be an object with \"columns\" and \"data\""
                    + " (as mlflow.log_table writes it) or an array of objects, not "
                    + (first == null ? "empty" : first.asString()));
        }
        List<String> names = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if (field.equals("columns")) {
                names = readColumns(value);
            } else if (field.equals("data")) {
                if (names == null) {
                    throw new TableException("the JSON table's \"data\" comes before its \"columns\";"
                            + " it cannot be read streaming (mlflow.log_table and pandas write \"columns\" first)");
                }
                if (value != JsonToken.START_ARRAY) {
                    throw new TableException("the JSON table's \"data\" must be an array of rows");
                }
                inData = true;
                break;
            } else {
                parser.skipChildren(); // "index", "name": not columns
            }
        }
        if (names == null) {
            throw new TableException("the JSON table has no \"columns\"");
        }
        columns = names;
    }

    private List<String> readColumns(JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            throw new TableException("the JSON table's \"columns\" must be an array of names");
        }
        List<String> names = new ArrayList<>();
        var seen = new HashSet<String>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            // pandas writes non-string column names (e.g. 0, 1) as JSON numbers
            if (!parser.currentToken().isScalarValue()) {
                throw new TableException("the JSON table's \"columns\" must be names, not nested values");
            }
            String name = parser.getText();
            if (!seen.add(name)) {
                throw new TableException("the JSON table's \"columns\" names '" + name + "' twice");
            }
            names.add(name);
        }
        return names;
    }

    @Override
    public Optional<List<String>> columns() {
        return columns == null ? Optional.empty() : Optional.of(List.copyOf(columns));
    }

    @Override
    Row read(long number) throws IOException {
        if (!inData) {
            return null;
        }
        JsonToken token = parser.nextToken();
        if (token == JsonToken.END_ARRAY) {
            inData = false;
            finish();
            return null;
        }
        if (columns == null) {
            if (token != JsonToken.START_OBJECT) {
                throw TableException.at(
                        number, null, "expected an object (a row of the records array), found " + describe(token));
            }
            return new Row(number, JsonValues.readObject(parser), true);
        }
        if (token != JsonToken.START_ARRAY) {
            throw TableException.at(
                    number, null, "expected a row (an array of values) in \"data\", found " + describe(token));
        }
        Map<String, Object> values = new LinkedHashMap<>(columns.size() * 2);
        int i = 0;
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            if (i == columns.size()) {
                throw TableException.at(
                        number, null, "the row has more values than the " + columns.size() + " columns");
            }
            values.put(columns.get(i++), JsonValues.read(parser));
        }
        if (i != columns.size()) {
            throw TableException.at(
                    number, null, "the row has " + i + " values but the table has " + columns.size() + " columns");
        }
        return new Row(number, values, false);
    }

    /** Reads what follows the rows (pandas may write "index" after "data") so a truncated file is noticed. */
    private void finish() throws IOException {
        if (columns != null) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                if (parser.currentName().equals("columns")) {
                    throw new TableException("the JSON table has \"columns\" twice");
                }
                parser.nextToken();
                parser.skipChildren();
            }
            if (parser.currentToken() != JsonToken.END_OBJECT) {
                throw new TableException("the JSON table does not end after its \"data\"");
            }
        }
        if (parser.nextToken() != null) {
            throw new TableException("the JSON table has content after its end");
        }
    }

    private static String describe(JsonToken token) {
        return token == null ? "the end of the file" : token.asString() == null ? token.name() : token.asString();
    }

    @Override
    void closeSource() throws IOException {
        parser.close();
    }
}
