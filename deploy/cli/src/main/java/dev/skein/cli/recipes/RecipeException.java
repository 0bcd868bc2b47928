package dev.skein.cli.recipes;

/** A recipe that cannot be run as written (its file and the reason): a usage error, found before anything is made. */
public final class RecipeException extends RuntimeException {
    public RecipeException(String message) {
        super(message);
    }
}
