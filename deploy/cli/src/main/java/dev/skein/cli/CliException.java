package dev.skein.cli;

/** A failure found by the command line itself (a file that is not there, a run whose artifacts it cannot reach…). */
public final class CliException extends RuntimeException {

    private final int exitCode;

    public CliException(String message) {
        this(ExitCodes.API_ERROR, message);
    }

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
