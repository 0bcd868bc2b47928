package dev.skein.llmgateway.http;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.TrafficRoute;
import dev.skein.llmgateway.config.Endpoints;
import dev.skein.llmgateway.governance.Price;
import dev.skein.llmgateway.governance.Rule;
import dev.skein.llmgateway.governance.Window;
import dev.skein.llmgateway.provider.OpenAiSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code GET /api/2.0/skein/llm/endpoints/get?name=…}: what the web UI shows of an endpoint beyond MLflow's
 * {@code GET /api/2.0/endpoints/{name}} (name, type, model, limit) — its provider's non-secret settings, Skein's
 * {@code limits}, {@code budgets}, {@code retries} and {@code fallbacks}, its model's price and the traffic routes
 * that send to it — or, for a traffic route's name, its destinations and their percentages. Never a secret: no
 * key, no header value (an OpenAI organisation, Anthropic's version), nothing of the provider's {@code config}
 * but where calls go. Errors in MLflow's shape ({@code error_code}, {@code message}), as the gateway's own APIs.
 */
final class EndpointDetail {

    static final String PATH = "/api/2.0/skein/llm/endpoints/get";

    private final Endpoints endpoints;

    EndpointDetail(Endpoints endpoints) {
        this.endpoints = endpoints;
    }

    void answer(RoutingContext ctx) {
        String name = ctx.request().getParam("name");
        if (name == null || name.isBlank()) {
            error(
                    ctx,
                    400,
                    "INVALID_PARAMETER_VALUE",
                    "Missing value for required parameter 'name'. See the API docs for more information about"
                            + " request parameters.");
            return;
        }
        JsonObject answer = endpoints
                .get(name)
                .map(e -> new JsonObject().put("endpoint", describe(e, endpoints.routes())))
                .or(() -> endpoints.route(name).map(r -> new JsonObject().put("traffic_route", describe(r))))
                .or(() -> endpoints.stored(name).map(st -> new JsonObject().put("endpoint", describe(st))))
                .orElse(null);
        if (answer == null) {
            error(
                    ctx,
                    404,
                    "RESOURCE_DOES_NOT_EXIST",
                    "The endpoint '" + name
                            + "' is not present or active on the server. Please verify the endpoint name.");
            return;
        }
        ctx.response()
                .setStatusCode(200)
                .putHeader("Content-Type", "application/json")
                .end(answer.toBuffer());
    }

    /** An endpoint's configuration; {@code routes} are searched for the ones that send to it. */
    static JsonObject describe(Endpoint e, List<TrafficRoute> routes) {
        OpenAiSettings s = e.settings();
        JsonObject provider = new JsonObject()
                .put("api_type", s.apiType().wire())
                .put("api_base", withoutKey(s.apiBase(), s.apiKey()));
        if (s.deploymentName() != null) {
            // Azure's deployment is part of the URL calls go to
            provider.put("deployment_name", withoutKey(s.deploymentName(), s.apiKey()));
        }
        List<Rule> rules = new ArrayList<>(e.rules());
        JsonObject limit = null;
        if (e.limit() != null) {
            limit = new JsonObject()
                    .put("calls", e.limit().calls())
                    .put("key", e.limit().key())
                    .put("renewal_period", e.limit().renewalPeriod());
            // MLflow's limit is counted as one more rule; it is shown as MLflow's, not again among Skein's limits
            rules.remove(Rule.of(
                    e.name(),
                    Rule.Scope.CALLER,
                    Window.renewalPeriod(e.limit().renewalPeriod()).orElseThrow(),
                    e.limit().calls(),
                    0,
                    null,
                    Rule.Action.REJECT));
        }
        JsonArray limits = new JsonArray();
        JsonArray budgets = new JsonArray();
        for (Rule r : rules) {
            JsonObject rule = new JsonObject().put("per", r.scope().name().toLowerCase(Locale.ROOT));
            if (r.maxUsd() != null) {
                budgets.add(rule.put("period", r.window().spec())
                        .put("usd", usd(r.maxUsd()))
                        .put("on_exceed", r.action().name()));
            } else {
                rule.put("renewal_period", r.window().spec());
                if (r.maxRequests() > 0) {
                    rule.put("calls", r.maxRequests());
                }
                if (r.maxTokens() > 0) {
                    rule.put("tokens", r.maxTokens());
                }
                limits.add(rule);
            }
        }
        Endpoint.Retry retry = e.retry();
        JsonArray inRoutes = new JsonArray();
        for (TrafficRoute route : routes) {
            for (TrafficRoute.Destination d : route.destinations()) {
                if (d.endpoint().equals(e.name())) {
                    inRoutes.add(new JsonObject().put("name", route.name()).put("traffic_percentage", d.percentage()));
                }
            }
        }
        Price price = e.price();
        return new JsonObject()
                .put("name", e.name())
                .put("endpoint_type", e.type().wire())
                .put("model", new JsonObject().put("name", e.modelName()).put("provider", e.provider()))
                .put("endpoint_url", e.endpointUrl())
                .put("provider_config", provider)
                .put("limit", limit)
                .put("limits", limits)
                .put("budgets", budgets)
                .put(
                        "retries",
                        new JsonObject()
                                .put("max_attempts", retry.maxAttempts())
                                .put("initial_backoff", retry.initialBackoffMs() / 1000.0)
                                .put("max_backoff", retry.maxBackoffMs() / 1000.0))
                .put("fallbacks", new JsonArray(new ArrayList<>(e.fallbacks())))
                .put(
                        "price",
                        price == null
                                ? null
                                : new JsonObject()
                                        .put("input_per_million_tokens", usd(price.inputPerMillion()))
                                        .put("output_per_million_tokens", usd(price.outputPerMillion())))
                .put("traffic_routes", inRoutes);
    }

    /**
     * An endpoint of MLflow 3.x's configuration API: as its first primary model shows it, and its models per request
     * type — the primaries with their share of the traffic, the fallbacks in order — each without its key.
     */
    static JsonObject describe(dev.skein.llmgateway.config.StoredPlans.Served stored) {
        JsonObject out = describe(stored.shown(), List.of()).put("source", "configuration_api");
        JsonObject types = new JsonObject();
        stored.plans().forEach((type, plan) -> {
            JsonArray primaries = new JsonArray();
            double before = 0;
            double total = plan.cumulative()[plan.cumulative().length - 1];
            for (int i = 0; i < plan.primaries().size(); i++) {
                double share = (plan.cumulative()[i] - before) / total;
                before = plan.cumulative()[i];
                primaries.add(
                        model(plan.primaries().get(i)).put("traffic_percentage", Math.round(share * 1000) / 10.0));
            }
            JsonArray fallbacks = new JsonArray();
            plan.fallbacks().forEach(f -> fallbacks.add(model(f)));
            types.put(type.wire(), new JsonObject().put("primaries", primaries).put("fallbacks", fallbacks));
        });
        return out.put("models", types).put("problems", new JsonArray(new ArrayList<>(stored.problems())));
    }

    private static JsonObject model(Endpoint e) {
        return new JsonObject()
                .put("provider", e.provider())
                .put("name", e.modelName())
                .put("api_base", withoutKey(e.settings().apiBase(), e.settings().apiKey()));
    }

    /** A traffic route: MLflow's {@code routes} entry. */
    static JsonObject describe(TrafficRoute r) {
        JsonArray destinations = new JsonArray();
        r.destinations()
                .forEach(d -> destinations.add(
                        new JsonObject().put("name", d.endpoint()).put("traffic_percentage", d.percentage())));
        return new JsonObject()
                .put("name", r.name())
                .put("task_type", r.type().wire())
                .put("routing_strategy", "TRAFFIC_SPLIT")
                .put("destinations", destinations);
    }

    /** Checked when the file is read (no user info, no query); and a key is never repeated, whatever it is. */
    private static String withoutKey(String value, String key) {
        return key == null || key.isEmpty() ? value : value.replace(key, "***");
    }

    private static double usd(BigDecimal amount) {
        return amount.doubleValue();
    }

    private static void error(RoutingContext ctx, int status, String code, String message) {
        ctx.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(new JsonObject()
                        .put("error_code", code)
                        .put("message", message)
                        .toBuffer());
    }
}
