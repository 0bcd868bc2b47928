package dev.skein.artifacts.store;

import dev.skein.common.error.ApiException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Artifact paths, always relative to a root (the proxy's, a run's, a model version's). A path is
 * normalised — empty and {@code .} segments dropped — and refused if it could leave its root or
 * mean something else to another layer: {@code ..} segments, absolute paths, backslashes, NUL and
 * other control characters, {@code #} (as MLflow), and any of these hidden under (repeated)
 * percent-encoding. Refusals carry MLflow's message, {@code Invalid path}.
 */
public final class ArtifactPaths {

    private static final Logger LOG = Logger.getLogger(ArtifactPaths.class);
    private static final int MAX_DECODE_ROUNDS = 3;
    private static final int MAX_LENGTH = 1024;

    private ArtifactPaths() {}

    /** The normalised form of a relative path; empty for the root itself. */
    public static String normalize(String path) {
        if (path == null || path.isEmpty()) {
            return "";
        }
        if (path.length() > MAX_LENGTH) {
            throw invalid(path, "it is longer than " + MAX_LENGTH + " characters");
        }
        check(path, path);
        String decoded = path;
        for (int i = 0; i < MAX_DECODE_ROUNDS && decoded.indexOf('%') >= 0; i++) {
            String next = decode(decoded);
            if (next.equals(decoded)) {
                break;
            }
            check(path, next);
            decoded = next;
        }
        List<String> segments = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty() && !s.equals(".")) {
                segments.add(s);
            }
        }
        return String.join("/", segments);
    }

    /** A normalised path that names a file or directory, not the root. */
    public static String requireNonRoot(String path, String field) {
        String normalized = normalize(path);
        if (normalized.isEmpty()) {
            throw ApiException.invalidParameter("Invalid value '" + (path == null ? "" : path) + "' for parameter '"
                    + field + "': a path inside the root is required");
        }
        return normalized;
    }

    /** {@code root/path} for a root key prefix (possibly empty) and a normalised path (possibly empty). */
    public static String join(String root, String path) {
        if (root.isEmpty()) {
            return path;
        }
        return path.isEmpty() ? root : root + "/" + path;
    }

    /** The last segment of a normalised path. */
    public static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static void check(String original, String path) {
        if (path.startsWith("/")) {
            throw invalid(original, "absolute paths are not allowed");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\') {
                throw invalid(original, "backslashes are not allowed");
            }
            if (c == '#') {
                throw invalid(original, "'#' is not allowed");
            }
            if (c < 0x20 || c == 0x7f) {
                throw invalid(original, "control characters (NUL included) are not allowed");
            }
        }
        if (path.length() >= 2 && path.charAt(1) == ':' && Character.isLetter(path.charAt(0))) {
            throw invalid(original, "drive letters are not allowed");
        }
        if (path.contains("://")) {
            throw invalid(original, "URIs are not allowed");
        }
        for (String segment : path.split("/")) {
            if (segment.equals("..")) {
                throw invalid(original, "'..' would leave the root");
            }
        }
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // not valid percent-encoding: nothing hidden under it
            return s;
        }
    }

    /** MLflow's answer, word for word ("Invalid path"); the reason is logged at debug level. */
    private static ApiException invalid(String path, String why) {
        if (LOG.isDebugEnabled()) {
            StringBuilder shown = new StringBuilder();
            for (int i = 0; i < path.length(); i++) {
                char c = path.charAt(i);
                if (c < 0x20 || c == 0x7f) {
                    shown.append(String.format("\\x%02x", (int) c));
                } else {
                    shown.append(c);
                }
            }
            LOG.debugf("Invalid path '%s': %s", shown, why);
        }
        return ApiException.invalidParameter("Invalid path");
    }
}
