package dev.skein.cli.recipes;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A recipe's steps, in their fixed order. The first four are the recipe's code: an entry point of its MLproject of the
 * same name, run as a project run. {@code evaluate} and {@code register} are Skein's own: an evaluation by
 * evaluation-service checked against the validation criteria, and a model version made in the registry.
 */
public enum Step {
    INGEST(true),
    SPLIT(true),
    TRANSFORM(true),
    TRAIN(true),
    EVALUATE(false),
    REGISTER(false);

    private final boolean code;

    Step(boolean code) {
        this.code = code;
    }

    /** True if the step runs the recipe's code (an entry point). */
    public boolean code() {
        return code;
    }

    /** The name in recipe.yaml and on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The step of that name, or null. */
    public static Step of(String name) {
        for (Step s : values()) {
            if (s.id().equals(name)) {
                return s;
            }
        }
        return null;
    }

    public static String names() {
        return Arrays.stream(values()).map(Step::id).collect(Collectors.joining(", "));
    }
}
