package dev.skein.llmgateway.config;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.TrafficRoute;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The configured endpoints and traffic routes, read from {@code skein.llm-gateway.config-file}: at startup a file
 * MLflow refuses stops the service with MLflow's reason; after that the file is read again every
 * {@code config-reload-interval} when its content changed (a ConfigMap updated in place), and a file that is
 * refused leaves the last good configuration serving, the reason logged and counted
 * ({@code skein_llm_config_reloads_total{result="refused"}}). Kept in the file's order (MLflow's listing order).
 */
@Startup
@Singleton
public class Endpoints {

    private static final Logger LOG = Logger.getLogger(Endpoints.class);

    /** One configuration, swapped whole: a call sees the old or the new one, never a mix. */
    private record State(List<Endpoint> all, Map<String, Endpoint> byName, Map<String, TrafficRoute> routes) {
        static State of(GatewayFile.Config config) {
            Map<String, Endpoint> byName = new LinkedHashMap<>();
            config.endpoints().forEach(e -> byName.put(e.name(), e));
            Map<String, TrafficRoute> routes = new LinkedHashMap<>();
            config.routes().forEach(r -> routes.put(r.name(), r));
            return new State(config.endpoints(), byName, routes);
        }
    }

    private final Path file;
    private final LlmGatewayConfig config;
    private final Vertx vertx;
    private final MeterRegistry meters;
    private volatile State state;
    private byte[] digest;
    private long timer = -1;

    public Endpoints(
            LlmGatewayConfig config,
            Vertx vertx,
            MeterRegistry meters,
            @ConfigProperty(name = "quarkus.init-and-exit", defaultValue = "false") boolean initAndExit) {
        this.config = config;
        this.vertx = vertx;
        this.meters = meters;
        if (initAndExit && config.configFile().filter(f -> !f.isBlank()).isEmpty()) {
            // the chart's migration Job: it migrates the schema and exits, it serves no endpoint
            file = null;
            state = State.of(new GatewayFile.Config(List.of(), List.of()));
            return;
        }
        file = Path.of(config.configFile()
                .filter(f -> !f.isBlank())
                .orElseThrow(() -> new IllegalStateException(
                        "skein.llm-gateway.config-file (SKEIN_LLM_GATEWAY_CONFIG_FILE) must name the gateway's"
                                + " endpoints file (MLflow 2.x's gateway YAML)")));
        digest = digest(file);
        state = State.of(GatewayFile.read(file, System::getenv));
        LOG.infof(
                "%d LLM endpoints and %d traffic routes from %s: %s",
                state.all().size(), state.routes().size(), file, state.all());
    }

    void onStart(@Observes StartupEvent event) {
        if (file != null) {
            timer = vertx.setPeriodic(
                    config.configReloadInterval().toMillis(),
                    id -> vertx.executeBlocking(
                            () -> {
                                reloadIfChanged();
                                return null;
                            },
                            false));
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Reads the file again if its content changed; a refused file leaves the last good configuration serving. */
    synchronized void reloadIfChanged() {
        byte[] now = digest(file);
        if (now == null || Arrays.equals(now, digest)) {
            return; // unreadable for a moment (a ConfigMap's symlinks swapped), or unchanged
        }
        digest = now;
        try {
            State next = State.of(GatewayFile.read(file, System::getenv));
            state = next;
            reloads("applied");
            LOG.infof(
                    "%s changed: now %d LLM endpoints and %d traffic routes: %s",
                    file, next.all().size(), next.routes().size(), next.all());
        } catch (InvalidConfigException e) {
            reloads("refused");
            LOG.errorf(
                    "%s changed but is refused, the last good configuration keeps serving: %s", file, e.getMessage());
        }
    }

    private void reloads(String result) {
        Counter.builder("skein.llm.config.reloads")
                .description("Changes of the endpoints file: applied, or refused (the last good configuration serves)")
                .tag("result", result)
                .register(meters)
                .increment();
    }

    private static byte[] digest(Path file) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The configuration API's endpoints as they serve (in their creation order) and every model endpoint they use,
     * swapped whole, in one write, when the stored configuration changed.
     */
    private record Stored(Map<String, StoredPlans.Served> byName, java.util.Set<Endpoint> live) {}

    private volatile Stored storedState = new Stored(Map.of(), java.util.Set.of());

    /** Applies the configuration API's endpoints (a name the file uses stays the file's). */
    public void applyStored(Map<String, StoredPlans.Served> served) {
        java.util.Set<Endpoint> all = new java.util.HashSet<>();
        served.values().forEach(s -> s.plans().values().forEach(p -> {
            all.addAll(p.primaries());
            all.addAll(p.fallbacks());
        }));
        storedState = new Stored(
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(served)), java.util.Set.copyOf(all));
    }

    /** A configuration API endpoint of that name, unless the file has one (the file's wins). */
    public Optional<StoredPlans.Served> stored(String name) {
        State s = state;
        if (s.byName().containsKey(name) || s.routes().containsKey(name)) {
            return Optional.empty();
        }
        return Optional.ofNullable(storedState.byName().get(name));
    }

    /** Whether the endpoints file has an endpoint or traffic route of that name. */
    public boolean inFile(String name) {
        State s = state;
        return s.byName().containsKey(name) || s.routes().containsKey(name);
    }

    /** The configuration API's endpoints, as MLflow 2.x's listing shows them (after the file's). */
    public List<Endpoint> storedShown() {
        State s = state;
        return storedState.byName().values().stream()
                .filter(e -> !s.byName().containsKey(e.name()) && !s.routes().containsKey(e.name()))
                .map(StoredPlans.Served::shown)
                .filter(java.util.Objects::nonNull)
                .toList();
    }

    /** Whether an endpoint's configuration is still serving (else its provider is let go). */
    public boolean serving(Endpoint endpoint) {
        return state.all().contains(endpoint) || storedState.live().contains(endpoint);
    }

    public Optional<Endpoint> get(String name) {
        return Optional.ofNullable(state.byName().get(name));
    }

    /** The endpoint a call to {@code name} goes to: the endpoint of that name, or one drawn by its traffic route. */
    public Optional<Endpoint> resolve(String name) {
        State s = state;
        TrafficRoute route = s.routes().get(name);
        return Optional.ofNullable(s.byName().get(route != null ? route.pick() : name));
    }

    public List<Endpoint> all() {
        return state.all();
    }

    /** The traffic route of that name. */
    public Optional<TrafficRoute> route(String name) {
        return Optional.ofNullable(state.routes().get(name));
    }

    /** The traffic routes, in the file's order. */
    public List<TrafficRoute> routes() {
        return List.copyOf(state.routes().values());
    }
}
