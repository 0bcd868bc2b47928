package dev.skein.common.search;

/** A lexical token of MLflow's search language, with its position for error messages. */
record Token(Kind kind, String text, int position) {

    enum Kind {
        /** A bare word: letters, digits, underscores and dots ({@code metrics.acc}, {@code AND}). */
        WORD,
        /** A back-quoted or double-quoted name ({@code `my key`}, {@code "my key"}). */
        QUOTED_NAME,
        /** A single-quoted string literal. */
        STRING,
        NUMBER,
        OPERATOR,
        LPAREN,
        RPAREN,
        COMMA,
        END
    }

    boolean isWord(String word) {
        return kind == Kind.WORD && text.equalsIgnoreCase(word);
    }
}
