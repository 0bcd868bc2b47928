package dev.skein.llmgateway.config;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.TrafficRoute;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The configured endpoints, read from {@code skein.llm-gateway.config-file} at startup: a file MLflow refuses
 * stops the service with MLflow's reason. Kept in the file's order (MLflow's listing order).
 */
@Startup
@Singleton
public class Endpoints {

    private static final Logger LOG = Logger.getLogger(Endpoints.class);

    private final Map<String, Endpoint> byName = new LinkedHashMap<>();
    private final List<Endpoint> all;
    private final Map<String, TrafficRoute> routes = new LinkedHashMap<>();

    public Endpoints(
            LlmGatewayConfig config,
            @ConfigProperty(name = "quarkus.init-and-exit", defaultValue = "false") boolean initAndExit) {
        if (initAndExit && config.configFile().filter(f -> !f.isBlank()).isEmpty()) {
            // the chart's migration Job: it migrates the schema and exits, it serves no endpoint
            all = List.of();
            return;
        }
        String file = config.configFile()
                .filter(f -> !f.isBlank())
                .orElseThrow(() -> new IllegalStateException(
                        "skein.llm-gateway.config-file (SKEIN_LLM_GATEWAY_CONFIG_FILE) must name the gateway's"
                                + " endpoints file (MLflow 2.x's gateway YAML)"));
        GatewayFile.Config read = GatewayFile.read(Path.of(file), System::getenv);
        all = read.endpoints();
        read.routes().forEach(r -> routes.put(r.name(), r));
        for (Endpoint e : all) {
            byName.put(e.name(), e);
        }
        LOG.infof("%d LLM endpoints and %d traffic routes from %s: %s", all.size(), routes.size(), file, all);
    }

    public Optional<Endpoint> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The endpoint a call to {@code name} goes to: the endpoint of that name, or one drawn by its traffic route. */
    public Optional<Endpoint> resolve(String name) {
        TrafficRoute route = routes.get(name);
        return route != null ? get(route.pick()) : get(name);
    }

    public List<Endpoint> all() {
        return all;
    }
}
