package dev.skein.evaluation.table;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * JSON Lines: one object per line, read by one streaming parser (blank lines are skipped). Each object's keys
 * are its row's columns; a key absent from a row is a missing value there.
 */
final class JsonLinesTableReader extends TableReader {

    private final JsonParser parser;

    JsonLinesTableReader(InputStream in) throws IOException {
        parser = JsonValues.FACTORY.createParser(in);
    }

    @Override
    public Optional<List<String>> columns() {
        return Optional.empty();
    }

    @Override
    Row read(long number) throws IOException {
        JsonToken token = parser.nextToken();
        if (token == null) {
            return null;
        }
        if (token != JsonToken.START_OBJECT) {
            throw TableException.at(
                    number,
                    null,
                    "a JSON Lines row must be an object, found "
                            + (token.asString() == null ? token.name() : token.asString()) + " (line "
                            + parser.currentLocation().getLineNr() + ")");
        }
        return new Row(number, JsonValues.readObject(parser), true);
    }

    @Override
    void closeSource() throws IOException {
        parser.close();
    }
}
