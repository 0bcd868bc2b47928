package dev.skein.common.search;

import dev.skein.common.error.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses MLflow's search filters ({@code metrics.acc > 0.9 AND params.model = 'cnn'}) and
 * order-by clauses ({@code metrics.acc DESC}) into {@link Comparison}s and {@link OrderBy}s.
 * The result is only ever turned into parameterised SQL: values never become SQL text.
 */
public final class SearchParser {

    private final Grammar grammar;
    private final String input;
    private final String what;
    private final List<Token> tokens;
    private int i;

    private SearchParser(Grammar grammar, String input, String what) {
        this.grammar = grammar;
        this.input = input;
        this.what = what;
        this.tokens = Lexer.tokenize(input, what);
    }

    /**
     * At most this many comparisons in a filter, and clauses in an order_by, refused while parsing,
     * before any work: each becomes one or more bound values of one statement, and PostgreSQL takes
     * at most 65,535 of those (a run search binds at most a few per clause; searches that repeat
     * clauses per other clause must bound their own product).
     */
    public static final int MAX_CLAUSES = 1_000;

    /** The comparisons of a filter, all joined by AND; an empty or blank filter has none. */
    public static List<Comparison> parseFilter(Grammar grammar, String filter) {
        if (filter == null || filter.isBlank()) {
            return List.of();
        }
        return new SearchParser(grammar, filter, "filter").filter();
    }

    public static List<OrderBy> parseOrderBy(Grammar grammar, List<String> clauses) {
        if (clauses.size() > MAX_CLAUSES) {
            throw ApiException.invalidParameter(
                    "Invalid order_by: " + clauses.size() + " clauses, at most " + MAX_CLAUSES + " are accepted");
        }
        List<OrderBy> result = new ArrayList<>();
        for (String clause : clauses) {
            if (clause == null || clause.isBlank()) {
                throw ApiException.invalidParameter("Invalid order_by clause '" + clause + "': it is empty");
            }
            result.add(new SearchParser(grammar, clause, "order_by clause").orderBy());
        }
        return result;
    }

    private List<Comparison> filter() {
        List<Comparison> comparisons = new ArrayList<>();
        while (true) {
            if (comparisons.size() == MAX_CLAUSES) {
                throw ApiException.invalidParameter("Invalid " + what + ": more than " + MAX_CLAUSES
                        + " comparisons joined by AND, at most " + MAX_CLAUSES + " are accepted");
            }
            comparisons.add(comparison());
            Token t = peek();
            if (t.kind() == Token.Kind.END) {
                return comparisons;
            }
            if (t.isWord("AND")) {
                i++;
                continue;
            }
            if (t.isWord("OR")) {
                throw error("only AND is supported between clauses, found 'OR' at position " + t.position());
            }
            throw error(
                    "expected AND or the end of the filter at position " + t.position() + ", found '" + t.text() + "'");
        }
    }

    private OrderBy orderBy() {
        Field field = field(true);
        boolean ascending = true;
        Token t = peek();
        if (t.isWord("ASC") || t.isWord("DESC")) {
            ascending = t.isWord("ASC");
            i++;
        }
        if (peek().kind() != Token.Kind.END) {
            throw error("expected ASC, DESC or the end of the clause at position " + peek().position() + ", found '"
                    + peek().text() + "'");
        }
        return new OrderBy(field, ascending);
    }

    private Comparison comparison() {
        Field field = field(false);
        String op = operator();
        Set<String> allowed = grammar.operators(field);
        if (!allowed.contains(op)) {
            throw error("operator '" + op + "' cannot be used with " + describe(field) + "; use one of " + allowed);
        }
        if (Grammar.LIST_OPS.contains(op)) {
            return new Comparison(field, op, null, null, list(field));
        }
        Token value = next();
        if (grammar.kind(field) == Grammar.Kind.NUMBER) {
            if (value.kind() != Token.Kind.NUMBER) {
                throw error("expected a numeric value for " + describe(field) + ", found '" + value.text() + "'");
            }
            double number = Double.parseDouble(value.text());
            if (field.type() == Field.Type.ATTRIBUTE && (number != Math.rint(number) || Double.isInfinite(number))) {
                throw error(
                        "expected an integer (milliseconds) for " + describe(field) + ", found '" + value.text() + "'");
            }
            return new Comparison(field, op, null, number, null);
        }
        if (value.kind() != Token.Kind.STRING && value.kind() != Token.Kind.QUOTED_NAME) {
            throw error("expected a quoted string value for " + describe(field) + " (e.g. 'my-value'), found '"
                    + value.text() + "'");
        }
        return new Comparison(field, op, value.text(), null, null);
    }

    private List<String> list(Field field) {
        expect(Token.Kind.LPAREN, "'(' to start the list of values for " + describe(field));
        List<String> values = new ArrayList<>();
        while (true) {
            Token value = next();
            if (value.kind() != Token.Kind.STRING && value.kind() != Token.Kind.QUOTED_NAME) {
                throw error("expected a quoted string in the list of values for " + describe(field) + ", found '"
                        + value.text() + "'");
            }
            values.add(value.text());
            Token sep = next();
            if (sep.kind() == Token.Kind.RPAREN) {
                return values;
            }
            if (sep.kind() != Token.Kind.COMMA) {
                throw error("expected ',' or ')' in the list of values at position " + sep.position());
            }
        }
    }

    private Field field(boolean forOrderBy) {
        Token t = next();
        String clause = input;
        if (t.kind() == Token.Kind.QUOTED_NAME) {
            // A quoted name without a prefix is an attribute ("run name").
            return grammar.field(Field.Type.ATTRIBUTE, t.text(), forOrderBy, clause);
        }
        if (t.kind() != Token.Kind.WORD) {
            throw error("expected a field such as metrics.<key> at position " + t.position() + ", found '" + t.text()
                    + "'");
        }
        String word = t.text();
        int dot = word.indexOf('.');
        if (dot < 0) {
            return grammar.field(Field.Type.ATTRIBUTE, word, forOrderBy, clause);
        }
        String prefix = word.substring(0, dot);
        Field.Type type = grammar.typeOf(prefix);
        if (type == null) {
            throw error("invalid field type '" + prefix + "' at position " + t.position()
                    + "; expected one of metrics, params, tags, attributes, datasets");
        }
        String key = word.substring(dot + 1);
        if (key.isEmpty()) {
            Token quoted = next();
            if (quoted.kind() != Token.Kind.QUOTED_NAME && quoted.kind() != Token.Kind.STRING) {
                throw error("expected a key after '" + word + "' at position " + quoted.position());
            }
            key = quoted.text();
        }
        return grammar.field(type, key, forOrderBy, clause);
    }

    private String operator() {
        Token t = next();
        if (t.kind() == Token.Kind.OPERATOR) {
            return t.text();
        }
        if (t.kind() == Token.Kind.WORD) {
            String word = t.text().toUpperCase(Locale.ROOT);
            switch (word) {
                case "LIKE", "ILIKE", "IN" -> {
                    return word;
                }
                case "NOT" -> {
                    if (peek().isWord("IN")) {
                        i++;
                        return "NOT IN";
                    }
                }
                default -> {}
            }
        }
        throw error("expected a comparison operator at position " + t.position() + ", found '" + t.text() + "'");
    }

    private String describe(Field field) {
        return switch (field.type()) {
            case METRIC -> "metric '" + field.key() + "'";
            case PARAM -> "param '" + field.key() + "'";
            case TAG -> "tag '" + field.key() + "'";
            case ATTRIBUTE -> "attribute '" + field.key() + "'";
            case DATASET -> "dataset field '" + field.key() + "'";
            case REQUEST_METADATA -> "request metadata '" + field.key() + "'";
            case SPAN -> "span field '" + field.key() + "'";
        };
    }

    private Token peek() {
        return tokens.get(i);
    }

    private Token next() {
        Token t = tokens.get(i);
        if (t.kind() == Token.Kind.END) {
            throw error("unexpected end of the " + what);
        }
        i++;
        return t;
    }

    private void expect(Token.Kind kind, String description) {
        Token t = next();
        if (t.kind() != kind) {
            throw error("expected " + description + " at position " + t.position() + ", found '" + t.text() + "'");
        }
    }

    private ApiException error(String reason) {
        return ApiException.invalidParameter("Invalid " + what + " '" + input + "': " + reason);
    }
}
