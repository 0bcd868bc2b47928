package dev.skein.artifacts.service;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Content-Type of a download, decided from the file name as MLflow's server decides it
 * ({@code _guess_mime_type}): a name whose extension (or, without one, the whole name) is one of
 * MLflow's text extensions is {@code text/plain}; otherwise Python's {@code mimetypes} table
 * (compression suffixes such as {@code .gz} are looked through, {@code .tgz} is a {@code .tar.gz}),
 * exact case first, then lower case; {@code application/octet-stream} when nothing matches. One
 * deliberate difference: a type a browser would render or run (HTML, SVG, XHTML) is sent as {@code
 * text/plain}, so that a stored file cannot script the site.
 */
final class MimeTypes {

    static final String TEXT = "text/plain";
    static final String BINARY = "application/octet-stream";

    /** MLflow's text extensions; names without an extension are compared whole (MLmodel, mlproject). */
    private static final Set<String> TEXT_EXTENSIONS = Set.of(
            "txt",
            "log",
            "err",
            "cfg",
            "conf",
            "cnf",
            "cf",
            "ini",
            "properties",
            "prop",
            "hocon",
            "toml",
            "yaml",
            "yml",
            "xml",
            "json",
            "js",
            "py",
            "py3",
            "csv",
            "tsv",
            "md",
            "rst",
            "MLmodel",
            "mlproject");

    /** Types a browser would render or run. */
    private static final Set<String> RENDERED = Set.of(
            "text/html",
            "application/xhtml+xml",
            "image/svg+xml",
            "text/xml",
            "application/xml",
            "text/javascript",
            "application/javascript");

    /** Suffixes that stand for a longer one (Python's {@code suffix_map}). */
    private static final Map<String, String> SUFFIXES = Map.of(
            ".svgz", ".svg.gz",
            ".tgz", ".tar.gz",
            ".taz", ".tar.gz",
            ".tz", ".tar.gz",
            ".tbz2", ".tar.bz2",
            ".txz", ".tar.xz");

    /** Suffixes of an encoding, looked through to the type beneath (Python's {@code encodings_map}). */
    private static final Set<String> ENCODINGS = Set.of(".gz", ".Z", ".bz2", ".xz", ".br");

    private static final Map<String, String> TYPES = load();

    private MimeTypes() {}

    private static Map<String, String> load() {
        Properties table = new Properties();
        try (InputStream in = MimeTypes.class.getResourceAsStream("/mime-types.properties")) {
            if (in == null) {
                throw new IllegalStateException("mime-types.properties is missing from the class path");
            }
            table.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return table.stringPropertyNames().stream()
                .collect(Collectors.toUnmodifiableMap(ext -> "." + ext, table::getProperty));
    }

    /** The type to send a file of this (base) name as. */
    static String of(String name) {
        String type = guess(name);
        return RENDERED.contains(type) ? TEXT : type;
    }

    private static String guess(String name) {
        String ext = extension(name);
        String bare = ext.replace(".", "");
        if (TEXT_EXTENSIONS.contains(bare.isEmpty() ? name : bare)) {
            return TEXT;
        }
        String base = name;
        while (SUFFIXES.containsKey(ext)) {
            base = stem(base) + SUFFIXES.get(ext);
            ext = extension(base);
        }
        if (ENCODINGS.contains(ext)) { // case-sensitive, as in Python
            base = stem(base);
            ext = extension(base);
        }
        String type = TYPES.get(ext);
        if (type == null) {
            type = TYPES.get(ext.toLowerCase(Locale.ROOT));
        }
        return type == null ? BINARY : type;
    }

    /** The extension with its dot, as Python's {@code os.path.splitext}: leading dots do not count. */
    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        int first = 0;
        while (first < name.length() && name.charAt(first) == '.') {
            first++;
        }
        return dot < first ? "" : name.substring(dot);
    }

    private static String stem(String name) {
        return name.substring(0, name.length() - extension(name).length());
    }
}
