package dev.skein.cli.projects;

/** A project that cannot run as asked: a bad MLproject, an unknown entry point, a missing or ill-typed parameter. */
public final class ProjectException extends RuntimeException {

    public ProjectException(String message) {
        super(message);
    }
}
