package dev.skein.registry.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.validation.Inputs;
import dev.skein.registry.ModelVersion;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** MLflow 2.17's model registry input rules, with MLflow's wording. */
final class RegistryInputs {

    static final int MAX_NAME_LENGTH = 256;
    static final int MAX_TAG_VALUE_LENGTH = 5000;
    static final int MAX_DESCRIPTION_LENGTH = 5000;
    static final int MAX_ALIAS_LENGTH = 255;
    static final List<String> STAGES =
            List.of(ModelVersion.NONE, ModelVersion.STAGING, ModelVersion.PRODUCTION, ModelVersion.ARCHIVED);

    private static final Pattern ALIAS = Pattern.compile("^[\\w\\-]*$");
    private static final Pattern VERSION_ALIAS = Pattern.compile("^[vV]\\d+$");

    private RegistryInputs() {}

    static String name(String name) {
        Inputs.required(name, "name");
        Inputs.length("Registered model name", name, MAX_NAME_LENGTH);
        return name;
    }

    static int version(String version) {
        Inputs.required(version, "version");
        try {
            int v = Integer.parseInt(version.trim());
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw ApiException.invalidParameter("Model version must be an integer, got '" + version + "'");
    }

    static void modelTag(String key, String value) {
        tag("Registered model", key, value);
    }

    static void versionTag(String key, String value) {
        tag("Model version", key, value);
    }

    private static void tag(String entity, String key, String value) {
        Inputs.required(key, "key");
        Inputs.key("Tag", key);
        Inputs.length(entity + " key", key, Inputs.MAX_KEY_LENGTH);
        if (value == null) {
            throw ApiException.missing("value");
        }
        Inputs.length(entity + " value", value, MAX_TAG_VALUE_LENGTH);
    }

    static void description(String description) {
        Inputs.length("Description", description, MAX_DESCRIPTION_LENGTH);
    }

    /** The canonical stage for any spelling of it ("production" → "Production"). */
    static String stage(String stage) {
        Inputs.required(stage, "stage");
        for (String s : STAGES) {
            if (s.equalsIgnoreCase(stage.trim())) {
                return s;
            }
        }
        throw ApiException.invalidParameter(
                "Invalid Model Version stage: " + stage + ". Value must be one of " + String.join(", ", STAGES) + ".");
    }

    static void alias(String alias) {
        Inputs.required(alias, "alias");
        if (!ALIAS.matcher(alias).matches()) {
            throw ApiException.invalidParameter("Invalid alias name: '" + alias
                    + "'. Names may only contain alphanumerics, underscores (_), and dashes (-).");
        }
        Inputs.length("Registered model alias name", alias, MAX_ALIAS_LENGTH);
        if (alias.toLowerCase(Locale.ROOT).equals("latest")) {
            throw ApiException.invalidParameter("'latest' alias name (case insensitive) is reserved.");
        }
        if (VERSION_ALIAS.matcher(alias).matches()) {
            throw ApiException.invalidParameter("Version alias name '" + alias + "' is reserved.");
        }
    }

    static ApiException modelNotFound(String name) {
        return ApiException.notFound("Registered Model with name=" + name + " not found");
    }

    static ApiException versionNotFound(String name, Object version) {
        return ApiException.notFound("Model Version (name=" + name + ", version=" + version + ") not found");
    }

    static ApiException modelExists(String name) {
        return ApiException.alreadyExists("Registered Model (name=" + name + ") already exists.");
    }
}
