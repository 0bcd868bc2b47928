package dev.skein.common.paging;

import dev.skein.common.error.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MLflow's opaque page token: base64 of {@code {"offset": N}}. Clients only echo it back; a token
 * that does not decode is INVALID_PARAMETER_VALUE, as in MLflow. A search whose pages must stay
 * stable while rows are inserted adds {@code "snapshot": S}: the insertion counter when its first
 * page was read, so that later pages see only the rows the first one could.
 */
public final class PageToken {

    private static final Pattern OFFSET = Pattern.compile(
            "^\\s*\\{\\s*\"offset\"\\s*:\\s*(\\d{1,18})\\s*(?:,\\s*\"snapshot\"\\s*:\\s*(\\d{1,18})\\s*)?}\\s*$");

    /** Where a page starts, and the snapshot of the search it belongs to (null: none). */
    public record Position(long offset, Long snapshot) {}

    private PageToken() {}

    public static String encode(long offset) {
        return Base64.getEncoder().encodeToString(("{\"offset\": " + offset + "}").getBytes(StandardCharsets.UTF_8));
    }

    public static String encode(long offset, long snapshot) {
        return Base64.getEncoder()
                .encodeToString(("{\"offset\": " + offset + ", \"snapshot\": " + snapshot + "}")
                        .getBytes(StandardCharsets.UTF_8));
    }

    /** The offset a token points at; 0 for an absent or empty token. */
    public static long decodeOffset(String token) {
        return decode(token).offset();
    }

    /** The position a token points at; offset 0 and no snapshot for an absent or empty token. */
    public static Position decode(String token) {
        if (token == null || token.isEmpty()) {
            return new Position(0, null);
        }
        try {
            String json = new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
            Matcher m = OFFSET.matcher(json);
            if (m.matches()) {
                return new Position(Long.parseLong(m.group(1)), m.group(2) == null ? null : Long.parseLong(m.group(2)));
            }
        } catch (IllegalArgumentException malformed) {
            // reported below, like any other token we did not issue
        }
        throw ApiException.invalidParameter("Invalid page token, could not base64-decode or parse it: '" + token + "'");
    }
}
