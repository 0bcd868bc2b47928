package dev.skein.cli;

/** The exit codes scripts can act on (documented in the README and in {@code skein --help}). */
public final class ExitCodes {

    public static final int OK = 0;
    /** The API answered with an error (printed as {@code error_code: message}), or a local failure. */
    public static final int API_ERROR = 1;
    /** The command line was wrong: unknown command or option, missing or malformed argument. */
    public static final int USAGE = 2;
    /** The tracking server could not be reached (refused, unknown host, TLS failure, timeout). */
    public static final int CANNOT_CONNECT = 3;
    /** The thing named does not exist ({@code RESOURCE_DOES_NOT_EXIST} or a 404). */
    public static final int NOT_FOUND = 4;
    /** An evaluation waited for with {@code --wait} ended FAILED. */
    public static final int EVALUATION_FAILED = 5;
    /** A multipart upload stopped with parts left ({@code --max-parts}); {@code --resume} continues it. */
    public static final int UPLOAD_PAUSED = 6;

    /** {@code skein run}: the project's run ended FAILED (its command failed, its Job failed). */
    public static final int RUN_FAILED = 7;

    /** {@code skein recipe run}: the register step refused to register the model (validation criteria failed). */
    public static final int REGISTRATION_REFUSED = 8;

    private ExitCodes() {}
}
