package dev.skein.common.catalogue;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.common.MapBackedConfigSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Configuration defaults from the catalogue for the service running ({@code quarkus.application.name}
 * = its module): {@code quarkus.http.port}, {@code quarkus.management.port}, and for each upstream
 * {@code quarkus.grpc.clients.<client>.host} (127.0.0.1) and {@code .port} ({@code
 * skein.upstreams.<client>.…} for an HTTP upstream). Its ordinal (200) is
 * below application.properties (250) and the environment (300): the runner's and the chart's
 * settings win; nothing in a service's application.properties repeats these.
 */
public final class CatalogueConfigSourceFactory implements ConfigSourceFactory {

    static final int ORDINAL = 200;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue name = context.getValue("quarkus.application.name");
        Catalogue.Service self =
                name == null || name.getValue() == null ? null : Catalogue.get().byModule(name.getValue());
        if (self == null) {
            return List.of();
        }
        return List.of(
                new MapBackedConfigSource("skein catalogue (" + Catalogue.RESOURCE + ")", defaults(self), ORDINAL) {});
    }

    static Map<String, String> defaults(Catalogue.Service self) {
        Map<String, String> values = new HashMap<>();
        values.put("quarkus.http.port", Integer.toString(self.port()));
        values.put("quarkus.management.port", Integer.toString(self.managementPort()));
        for (Catalogue.Upstream u : self.upstreams()) {
            Catalogue.Service upstream = Catalogue.get().services().get(u.service());
            values.put(u.configPrefix() + ".host", "127.0.0.1");
            values.put(u.configPrefix() + ".port", Integer.toString(upstream.port()));
        }
        return values;
    }
}
