package dev.skein.common.search;

import dev.skein.common.error.ApiException;
import java.util.ArrayList;
import java.util.List;

/** Splits a filter or order-by clause into tokens. Quotes inside quoted text are doubled ({@code 'it''s'}). */
final class Lexer {

    private final String input;
    private final String what;
    private int pos;

    private Lexer(String input, String what) {
        this.input = input;
        this.what = what;
    }

    static List<Token> tokenize(String input, String what) {
        return new Lexer(input, what).run();
    }

    private List<Token> run() {
        List<Token> tokens = new ArrayList<>();
        while (true) {
            skipSpace();
            if (pos >= input.length()) {
                tokens.add(new Token(Token.Kind.END, "", pos));
                return tokens;
            }
            tokens.add(next());
        }
    }

    private void skipSpace() {
        while (pos < input.length() && Character.isWhitespace(input.charAt(pos))) {
            pos++;
        }
    }

    private Token next() {
        int start = pos;
        char c = input.charAt(pos);
        switch (c) {
            case '(' -> {
                pos++;
                return new Token(Token.Kind.LPAREN, "(", start);
            }
            case ')' -> {
                pos++;
                return new Token(Token.Kind.RPAREN, ")", start);
            }
            case ',' -> {
                pos++;
                return new Token(Token.Kind.COMMA, ",", start);
            }
            case '\'' -> {
                return new Token(Token.Kind.STRING, quoted('\''), start);
            }
            case '"', '`' -> {
                return new Token(Token.Kind.QUOTED_NAME, quoted(c), start);
            }
            case '=', '!', '<', '>' -> {
                return new Token(Token.Kind.OPERATOR, operator(), start);
            }
            default -> {
                if (Character.isDigit(c) || ((c == '-' || c == '+' || c == '.') && startsNumber(pos + 1))) {
                    return new Token(Token.Kind.NUMBER, number(), start);
                }
                if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                    while (pos < input.length()
                            && (Character.isLetterOrDigit(input.charAt(pos))
                                    || input.charAt(pos) == '_'
                                    || input.charAt(pos) == '.')) {
                        pos++;
                    }
                    return new Token(Token.Kind.WORD, input.substring(start, pos), start);
                }
                throw error("unexpected character '" + c + "' at position " + start);
            }
        }
    }

    private boolean startsNumber(int at) {
        return at < input.length() && (Character.isDigit(input.charAt(at)) || input.charAt(at) == '.');
    }

    private String quoted(char quote) {
        int start = pos;
        pos++;
        StringBuilder sb = new StringBuilder();
        while (pos < input.length()) {
            char c = input.charAt(pos);
            if (c == quote) {
                if (pos + 1 < input.length() && input.charAt(pos + 1) == quote) {
                    sb.append(quote);
                    pos += 2;
                    continue;
                }
                pos++;
                return sb.toString();
            }
            sb.append(c);
            pos++;
        }
        throw error("unterminated quoted text starting at position " + start);
    }

    private String operator() {
        char c = input.charAt(pos);
        char n = pos + 1 < input.length() ? input.charAt(pos + 1) : 0;
        if ((c == '!' || c == '<' || c == '>') && n == '=') {
            pos += 2;
            return c + "=";
        }
        if (c == '<' && n == '>') {
            pos += 2;
            return "!=";
        }
        if (c == '!') {
            throw error("unexpected character '!' at position " + pos);
        }
        if (c == '=' && n == '=') {
            pos += 2;
            return "=";
        }
        pos++;
        return String.valueOf(c);
    }

    private String number() {
        int start = pos;
        if (input.charAt(pos) == '-' || input.charAt(pos) == '+') {
            pos++;
        }
        while (pos < input.length()) {
            char c = input.charAt(pos);
            boolean exponentSign =
                    (c == '-' || c == '+') && (input.charAt(pos - 1) == 'e' || input.charAt(pos - 1) == 'E');
            if (Character.isDigit(c) || c == '.' || c == 'e' || c == 'E' || exponentSign) {
                pos++;
            } else {
                break;
            }
        }
        String text = input.substring(start, pos);
        try {
            Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw error("invalid number '" + text + "' at position " + start);
        }
        return text;
    }

    private ApiException error(String reason) {
        return ApiException.invalidParameter("Invalid " + what + " '" + input + "': " + reason);
    }
}
