package dev.skein.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** The version Maven built (version.properties, filtered). */
public final class Version implements CommandLine.IVersionProvider {

    public static String get() {
        Properties props = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                props.load(in);
            }
        } catch (IOException ignored) {
            // an unreadable resource leaves the version unknown
        }
        return props.getProperty("version", "unknown");
    }

    @Override
    public String[] getVersion() {
        return new String[] {"skein " + get()};
    }
}
