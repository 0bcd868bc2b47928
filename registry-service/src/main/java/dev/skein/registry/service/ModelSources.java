package dev.skein.registry.service;

import dev.skein.common.error.ApiException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * MLflow 2.17's rules for a model version's {@code source}, as its server checks them before a
 * version is created: a local path (no scheme, or {@code file:}) only inside the artifact directory of
 * the version's run, and any other URI only as an absolute path with no relative references — after
 * percent-decoding it as often as it decodes, so {@code ..%2f}, {@code %252e%252e} and {@code %00}
 * cannot hide one. URIs are split as Python's {@code urllib.parse.urlparse} splits them.
 */
final class ModelSources {

    /** Python's {@code urllib.parse.uses_params}: schemes whose last path segment may carry {@code ;params}. */
    private static final Set<String> USES_PARAMS = Set.of(
            "",
            "ftp",
            "hdl",
            "prospero",
            "http",
            "imap",
            "https",
            "shttp",
            "rtsp",
            "rtspu",
            "sip",
            "sips",
            "mms",
            "sftp",
            "tel");

    private ModelSources() {}

    /** A URI split as {@code urlparse} splits it; {@code hostname} is lower case, null when absent. */
    record Uri(String scheme, String netloc, String hostname, String path) {}

    static Uri parse(String uri) {
        String url = stripLeading(uri.replace("\t", "").replace("\r", "").replace("\n", ""));
        String scheme = "";
        int colon = url.indexOf(':');
        if (colon > 0 && isSchemeStart(url.charAt(0)) && isScheme(url.substring(0, colon))) {
            scheme = url.substring(0, colon).toLowerCase(Locale.ROOT);
            url = url.substring(colon + 1);
        }
        String netloc = "";
        if (url.startsWith("//")) {
            int end = url.length();
            for (char c : new char[] {'/', '?', '#'}) {
                int at = url.indexOf(c, 2);
                if (at >= 0 && at < end) {
                    end = at;
                }
            }
            netloc = url.substring(2, end);
            url = url.substring(end);
        }
        int hash = url.indexOf('#');
        if (hash >= 0) {
            url = url.substring(0, hash);
        }
        int query = url.indexOf('?');
        if (query >= 0) {
            url = url.substring(0, query);
        }
        if (USES_PARAMS.contains(scheme)) {
            int semicolon = url.indexOf(';', Math.max(url.lastIndexOf('/'), 0));
            if (semicolon >= 0) {
                url = url.substring(0, semicolon);
            }
        }
        return new Uri(scheme, netloc, hostname(uri, netloc), url);
    }

    private static String hostname(String uri, String netloc) {
        String host = netloc.substring(netloc.lastIndexOf('@') + 1);
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                throw ApiException.invalidParameter("Invalid model version source: '" + uri + "': invalid IPv6 URL");
            }
            host = host.substring(1, close);
        } else {
            int port = host.indexOf(':');
            host = port < 0 ? host : host.substring(0, port);
        }
        return host.isEmpty() ? null : host.toLowerCase(Locale.ROOT);
    }

    private static boolean isSchemeStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isScheme(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isSchemeStart(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) <= ' ') {
            i++;
        }
        return s.substring(i);
    }

    /**
     * Whether a source is a path on the server's file system: no scheme, or {@code file:} naming no
     * host (or this one). A {@code file:} URI naming another host is refused, in MLflow's words.
     */
    static boolean isLocal(String source) {
        Uri uri = parse(source);
        if (uri.scheme().isEmpty()) {
            return true;
        }
        if (!uri.scheme().equals("file")) {
            return false;
        }
        String host = uri.hostname();
        boolean remote =
                host != null && !(host.equals(".") || host.startsWith("localhost") || host.startsWith("127.0.0.1"));
        if (remote) {
            throw ApiException.invalidParameter(source + " is not a valid remote uri. For remote access on windows,"
                    + " please consider using a different scheme such as SMB (e.g. smb://<hostname>/<path>).");
        }
        return true;
    }

    /** Whether local source {@code source} lies in (or is) the local artifact directory {@code artifactUri}. */
    static boolean isWithin(String source, String artifactUri) {
        if (artifactUri == null || artifactUri.isEmpty() || !isLocal(artifactUri)) {
            return false;
        }
        try {
            Path dir = localPath(artifactUri);
            return localPath(source).startsWith(dir);
        } catch (java.nio.file.InvalidPathException e) {
            return false; // a NUL or another character no path may hold: not within anything
        }
    }

    private static Path localPath(String uri) {
        Uri parsed = parse(uri);
        String path = parsed.scheme().isEmpty() ? uri : decode(parsed.path());
        return Path.of(path).toAbsolutePath().normalize();
    }

    static ApiException localSourceRefused(String source) {
        return ApiException.invalidParameter("Invalid model version source: '" + source + "'. To use a local path"
                + " as a model version source, the run_id request parameter has to be specified and the local path"
                + " has to be contained within the artifact directory of the run specified by the run_id.");
    }

    /** MLflow 3's refusal of a local source given with a {@code model_id}. */
    static ApiException localSourceOfModelRefused(String source) {
        return ApiException.invalidParameter("Invalid model version source: '" + source + "'. To use a local path"
                + " as a model version source, the model_id request parameter has to be specified and the local path"
                + " has to be contained within the artifact directory of the run specified by the model_id.");
    }

    /**
     * Refuses a non-local source that, fully decoded, holds a NUL, a {@code ..} segment, a {@code .}
     * segment, or a path that is empty or not absolute.
     */
    static void checkAbsolute(String source) {
        String decoded = decodeFully(source);
        String path = parse(decoded).path().replaceAll("/+", "/");
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        boolean parent = List.of(decoded.split("/", -1)).contains("..");
        if (path.indexOf('\0') >= 0 || parent || !path.equals(resolve(path))) {
            throw ApiException.invalidParameter("Invalid model version source: '" + decoded + "'. If supplying a"
                    + " source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an"
                    + " absolute path must be provided without relative path references present. Please provide an"
                    + " absolute path.");
        }
    }

    /** The path with its {@code .} segments gone; null for a path that is not absolute. */
    private static String resolve(String path) {
        if (!path.startsWith("/")) {
            return null;
        }
        List<String> kept = new ArrayList<>();
        for (String segment : path.substring(1).split("/", -1)) {
            if (!segment.equals(".")) {
                kept.add(segment);
            }
        }
        return "/" + String.join("/", kept);
    }

    /** Percent-decodes (and {@code +} as space) until nothing changes, as MLflow does before checking. */
    static String decodeFully(String s) {
        String decoded;
        while (!(decoded = decode(s.replace('+', ' '))).equals(s)) {
            s = decoded;
        }
        return s;
    }

    /** Python's {@code unquote}: {@code %XX} as UTF-8 bytes, malformed escapes kept as they are. */
    static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                bytes.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 2;
            } else {
                flush(bytes, out);
                out.append(c);
            }
        }
        flush(bytes, out);
        return out.toString();
    }

    private static void flush(ByteArrayOutputStream bytes, StringBuilder out) {
        if (bytes.size() > 0) {
            out.append(bytes.toString(StandardCharsets.UTF_8));
            bytes.reset();
        }
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
}
