package dev.skein.gateway.route;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.skein.proto.api.v1.Access;
import dev.skein.proto.api.v1.Options;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's one route table, derived from the contracts: every RPC's {@code google.api.http}
 * bindings become routes, served under {@code /api/2.0/...} and again under
 * {@code /ajax-api/2.0/...} (the prefix MLflow's web UI uses).
 */
public final class RouteTable {

    private static final ExtensionRegistry REGISTRY = ExtensionRegistry.newInstance();

    static {
        AnnotationsProto.registerAllExtensions(REGISTRY);
        Options.registerAllExtensions(REGISTRY);
    }

    private final Map<String, Map<String, Route>> byPath;

    private RouteTable(Map<String, Map<String, Route>> byPath) {
        this.byPath = byPath;
    }

    /** Builds the table for these services, each reached through its channel. */
    public static RouteTable of(Map<ServiceDescriptor, Channel> services, long defaultMaxBodyBytes) {
        Map<String, Map<String, Route>> byPath = new LinkedHashMap<>();
        services.forEach((service, channel) -> {
            for (MethodDescriptor<?, ?> method : service.getMethods()) {
                for (Route route : routes(method, channel, defaultMaxBodyBytes)) {
                    // a binding under /ajax-api/ is served there only (as MLflow serves its UI's own endpoints)
                    List<String> paths = route.path().startsWith("/ajax-api/")
                            ? List.of(route.path())
                            : List.of(route.path(), route.path().replaceFirst("^/api/", "/ajax-api/"));
                    for (String path : paths) {
                        Route mounted = new Route(
                                route.httpMethod(),
                                path,
                                route.method(),
                                route.requestPrototype(),
                                channel,
                                route.maxBodyBytes(),
                                route.requiresAdmin(),
                                route.access());
                        Route clash = byPath.computeIfAbsent(path, p -> new HashMap<>())
                                .put(route.httpMethod(), mounted);
                        if (clash != null) {
                            throw new IllegalStateException("Two RPCs bind " + route.httpMethod() + " " + path);
                        }
                    }
                }
            }
        });
        return new RouteTable(byPath);
    }

    /**
     * The contract's {@code access} option of a method: who may call it when the gateway
     * authenticates its callers; null if it declares none.
     */
    public static Access access(MethodDescriptor<?, ?> method) {
        MethodOptions options = options(method);
        return options.hasExtension(Options.access) ? options.getExtension(Options.access) : null;
    }

    private static MethodOptions options(MethodDescriptor<?, ?> method) {
        var proto = ((ProtoMethodDescriptorSupplier) method.getSchemaDescriptor()).getMethodDescriptor();
        try {
            // Re-read with the registry so custom options resolve however the descriptor was built.
            return MethodOptions.parseFrom(proto.getOptions().toByteString(), REGISTRY);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("Unreadable options on " + method.getFullMethodName(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Route> routes(MethodDescriptor<?, ?> method, Channel channel, long defaultMaxBodyBytes) {
        MethodOptions options = options(method);
        if (!options.hasExtension(AnnotationsProto.http)) {
            return List.of();
        }
        long maxBody = options.hasExtension(Options.maxBodyBytes)
                ? options.getExtension(Options.maxBodyBytes)
                : defaultMaxBodyBytes;
        boolean requiresAdmin =
                options.hasExtension(Options.requiresAdmin) && options.getExtension(Options.requiresAdmin);
        Access access = options.hasExtension(Options.access) ? options.getExtension(Options.access) : null;
        Message prototype = (Message)
                ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller()).getMessagePrototype();
        MethodDescriptor<Message, Message> typed = (MethodDescriptor<Message, Message>) method;
        HttpRule rule = options.getExtension(AnnotationsProto.http);
        List<HttpRule> rules = new ArrayList<>();
        rules.add(rule);
        rules.addAll(rule.getAdditionalBindingsList());
        List<Route> routes = new ArrayList<>();
        for (HttpRule r : rules) {
            String[] binding =
                    switch (r.getPatternCase()) {
                        case GET -> new String[] {"GET", r.getGet()};
                        case POST -> new String[] {"POST", r.getPost()};
                        case PUT -> new String[] {"PUT", r.getPut()};
                        case PATCH -> new String[] {"PATCH", r.getPatch()};
                        case DELETE -> new String[] {"DELETE", r.getDelete()};
                        default ->
                            throw new IllegalStateException(
                                    "Unsupported HTTP binding on " + method.getFullMethodName());
                    };
            routes.add(new Route(binding[0], binding[1], typed, prototype, channel, maxBody, requiresAdmin, access));
        }
        return routes;
    }

    /**
     * The routes at a path, by HTTP method, and the values of the path's parameters ({@code
     * /webhooks/{webhook_id}}), percent-decoded; no routes if no endpoint lives there. A final
     * {@code {name=**}} segment takes the rest of the path, one segment or more ({@code
     * /artifacts/{path=**}} matches {@code /artifacts/a/b.txt} with path {@code a/b.txt}).
     */
    public record Match(Map<String, Route> routes, Map<String, String> pathParams) {}

    public Match match(String path) {
        Map<String, Route> exact = byPath.get(path);
        if (exact != null) {
            return new Match(exact, Map.of());
        }
        String[] segments = path.split("/", -1);
        for (Map.Entry<String, Map<String, Route>> e : byPath.entrySet()) {
            if (!e.getKey().contains("{")) {
                continue;
            }
            String[] template = e.getKey().split("/", -1);
            String last = template[template.length - 1];
            boolean rest = last.startsWith("{") && last.endsWith("=**}");
            if (rest ? segments.length < template.length : template.length != segments.length) {
                continue;
            }
            Map<String, String> params = new HashMap<>();
            boolean matches = true;
            int fixed = rest ? template.length - 1 : template.length;
            for (int i = 0; i < fixed && matches; i++) {
                if (template[i].startsWith("{") && template[i].endsWith("}")) {
                    matches = !segments[i].isEmpty();
                    params.put(template[i].substring(1, template[i].length() - 1), decode(segments[i]));
                } else {
                    matches = template[i].equals(segments[i]);
                }
            }
            if (matches && rest) {
                String tail = String.join("/", List.of(segments).subList(fixed, segments.length));
                matches = !tail.isEmpty();
                params.put(last.substring(1, last.length() - "=**}".length()), decode(tail));
            }
            if (matches) {
                return new Match(e.getValue(), params);
            }
        }
        return new Match(Collections.emptyMap(), Map.of());
    }

    /** Percent-decodes a path (a {@code +} stays a plus: it is form encoding, not path encoding). */
    public static String decode(String rawPath) {
        if (rawPath.indexOf('%') < 0) {
            return rawPath;
        }
        try {
            return URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // not valid percent-encoding: taken literally, for the service to judge
            return rawPath;
        }
    }

    /** The routes at a path by HTTP method; empty if no endpoint lives there. */
    public Map<String, Route> at(String path) {
        return match(path).routes();
    }

    public List<Route> all() {
        return byPath.values().stream().flatMap(m -> m.values().stream()).toList();
    }

    public int size() {
        return byPath.values().stream().mapToInt(Map::size).sum();
    }
}
