package dev.skein.common.paging;

import dev.skein.common.error.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MLflow's opaque page token: base64 of {@code {"offset": N}}. Clients only echo it back; a token
 * that does not decode is INVALID_PARAMETER_VALUE, as in MLflow.
 */
public final class PageToken {

    private static final Pattern OFFSET = Pattern.compile("^\\s*\\{\\s*\"offset\"\\s*:\\s*(\\d{1,18})\\s*}\\s*$");

    private PageToken() {}

    public static String encode(long offset) {
        return Base64.getEncoder().encodeToString(("{\"offset\": " + offset + "}").getBytes(StandardCharsets.UTF_8));
    }

    /** The offset a token points at; 0 for an absent or empty token. */
    public static long decodeOffset(String token) {
        if (token == null || token.isEmpty()) {
            return 0;
        }
        try {
            String json = new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
            Matcher m = OFFSET.matcher(json);
            if (m.matches()) {
                return Long.parseLong(m.group(1));
            }
        } catch (IllegalArgumentException malformed) {
            // reported below, like any other token we did not issue
        }
        throw ApiException.invalidParameter("Invalid page token, could not base64-decode or parse it: '" + token + "'");
    }
}
