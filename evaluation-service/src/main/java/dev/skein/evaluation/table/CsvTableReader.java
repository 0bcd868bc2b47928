package dev.skein.evaluation.table;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * CSV through jackson-dataformat-csv: RFC 4180 quoting, UTF-8, a header row. An empty cell is missing. A
 * column is numeric when its first non-empty value is a number; every later non-empty value in it must be one
 * too (pandas would read such a column as strings, which one streaming pass cannot know in time).
 */
final class CsvTableReader extends TableReader {

    /** Decimal numbers as pandas' C parser reads them; not "NaN", "inf" or hexadecimal. */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d{1,18}");

    private static final CsvMapper MAPPER = CsvMapper.builder()
            .enable(CsvParser.Feature.WRAP_AS_ARRAY)
            .enable(CsvParser.Feature.SKIP_EMPTY_LINES)
            .build();

    private final MappingIterator<List<String>> lines;
    private final List<String> columns;
    private final Boolean[] numeric;
    private final Map<String, Integer> firstNumericRow = new HashMap<>();

    @SuppressWarnings({"unchecked", "rawtypes"})
    CsvTableReader(InputStream in) throws IOException {
        lines = (MappingIterator) MAPPER.readerFor(List.class).readValues(in);
        if (!lines.hasNextValue()) {
            throw new TableException("the CSV table is empty: it needs a header row");
        }
        List<String> header = lines.nextValue();
        columns = new ArrayList<>(header.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < header.size(); i++) {
            // pandas' to_csv writes the index under an empty name; read_csv calls it "Unnamed: 0"
            String name = header.get(i).isEmpty() ? "Unnamed: " + i : header.get(i);
            if (!seen.add(name)) {
                throw new TableException("the CSV header names the column '" + name + "' twice");
            }
            columns.add(name);
        }
        numeric = new Boolean[columns.size()];
    }

    @Override
    public Optional<List<String>> columns() {
        return Optional.of(List.copyOf(columns));
    }

    @Override
    Row read(long number) throws IOException {
        if (!lines.hasNextValue()) {
            return null;
        }
        List<String> cells = lines.nextValue();
        if (cells.size() != columns.size()) {
            throw TableException.at(
                    number,
                    null,
                    "the row has " + cells.size() + " cells but the header has " + columns.size() + " columns");
        }
        Map<String, Object> values = new LinkedHashMap<>(columns.size() * 2);
        for (int i = 0; i < cells.size(); i++) {
            values.put(columns.get(i), value(number, i, cells.get(i)));
        }
        return new Row(number, values, false);
    }

    private Object value(long number, int column, String cell) {
        if (cell.isEmpty()) {
            return null;
        }
        boolean isNumber = NUMBER.matcher(cell).matches();
        if (numeric[column] == null) {
            numeric[column] = isNumber;
            firstNumericRow.put(columns.get(column), (int) Math.min(number, Integer.MAX_VALUE));
        } else if (numeric[column] && !isNumber) {
            throw TableException.at(
                    number,
                    columns.get(column),
                    "'" + cell + "' is not a number, but the column is numeric (its first value, in row "
                            + firstNumericRow.get(columns.get(column)) + ", was a number)");
        }
        if (!numeric[column]) {
            return cell;
        }
        return INTEGER.matcher(cell).matches() ? (Object) Long.parseLong(cell) : (Object) Double.parseDouble(cell);
    }

    @Override
    void closeSource() throws IOException {
        lines.close();
    }
}
