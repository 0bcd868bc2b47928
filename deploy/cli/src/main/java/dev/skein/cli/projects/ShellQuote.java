package dev.skein.cli.projects;

import java.util.regex.Pattern;

/** POSIX shell quoting as Python's {@code shlex.quote}, which MLflow applies to every parameter value. */
public final class ShellQuote {

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ShellQuote() {}

    public static String quote(String s) {
        if (s.isEmpty()) {
            return "''";
        }
        if (SAFE.matcher(s).matches()) {
            return s;
        }
        return "'" + s.replace("'", "'\"'\"'") + "'";
    }
}
