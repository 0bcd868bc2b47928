package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import java.util.regex.Pattern;

/** Experiment ids are strings in MLflow's API and integers in its SQL store (and here). */
public final class Ids {

    private static final Pattern EXPERIMENT_ID = Pattern.compile("^[a-zA-Z0-9][\\w\\-]{0,63}$");

    private Ids() {}

    /** The numeric id, or MLflow's not-found error for an id no experiment can have. */
    public static long experimentId(String id) {
        if (!EXPERIMENT_ID.matcher(id).matches()) {
            throw ApiException.invalidParameter("Invalid experiment ID: '" + id + "'");
        }
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw experimentNotFound(id);
        }
    }

    public static ApiException experimentNotFound(Object id) {
        return ApiException.notFound("No Experiment with id=" + id + " exists");
    }
}
