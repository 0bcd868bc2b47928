package dev.skein.cli;

import java.net.URI;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Where the API is and who calls it, from MLflow's client settings: {@code SKEIN_TRACKING_URI}, else
 * {@code MLFLOW_TRACKING_URI}, else the local gateway; {@code MLFLOW_TRACKING_USERNAME}/{@code _PASSWORD}
 * (Basic) or {@code MLFLOW_TRACKING_TOKEN} (Bearer); {@code MLFLOW_TRACKING_INSECURE_TLS}.
 */
public record Settings(URI trackingUri, Optional<String> authorization, boolean insecureTls) {

    /** The gateway of {@code ./skein up} (helm/skein/catalogue.yaml: gateway port 8080). */
    public static final String DEFAULT_TRACKING_URI = "http://127.0.0.1:8080";

    public static Settings from(Map<String, String> env, String trackingUriOption) {
        String uri = firstSet(trackingUriOption, env.get("SKEIN_TRACKING_URI"), env.get("MLFLOW_TRACKING_URI"));
        if (uri == null) {
            uri = DEFAULT_TRACKING_URI;
        }
        URI parsed;
        try {
            parsed = URI.create(uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "the tracking URI '" + uri + "' is not a URI");
        }
        if (!"http".equals(parsed.getScheme()) && !"https".equals(parsed.getScheme())) {
            throw new CliException(
                    ExitCodes.USAGE,
                    "the tracking URI must be an http:// or https:// address of a Skein gateway, not '" + uri + "'");
        }
        String user = blankToNull(env.get("MLFLOW_TRACKING_USERNAME"));
        String password = blankToNull(env.get("MLFLOW_TRACKING_PASSWORD"));
        String token = blankToNull(env.get("MLFLOW_TRACKING_TOKEN"));
        Optional<String> authorization = Optional.empty();
        // MLflow's order: username and password first, then a token
        if (user != null && password != null) {
            authorization = Optional.of("Basic "
                    + Base64.getEncoder()
                            .encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } else if (token != null) {
            authorization = Optional.of("Bearer " + token);
        }
        boolean insecure = "true".equalsIgnoreCase(env.getOrDefault("MLFLOW_TRACKING_INSECURE_TLS", "false"));
        return new Settings(parsed, authorization, insecure);
    }

    private static String firstSet(String... values) {
        for (String value : values) {
            if (blankToNull(value) != null) {
                return value.strip();
            }
        }
        return null;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
