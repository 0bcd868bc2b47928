package dev.skein.cli;

/** An error answer of the API: MLflow's {@code {"error_code","message"}} (or FastAPI's {@code {"detail"}}) and its status. */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String errorCode;

    public ApiException(int status, String errorCode, String message) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    public int status() {
        return status;
    }

    public String errorCode() {
        return errorCode;
    }

    /** Scripts tell "no such thing" apart from other failures (exit code 4). */
    public boolean notFound() {
        return "RESOURCE_DOES_NOT_EXIST".equals(errorCode) || (errorCode == null && status == 404);
    }

    /** What the user reads: {@code error_code: message}, as MLflow's clients print it. */
    public String describe() {
        return (errorCode == null ? "HTTP " + status : errorCode) + ": " + getMessage();
    }
}
