package dev.skein.gateway.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The web UI: the bundle the build made with npm (gateway-service/src/main/ui, Vite) and put in the
 * gateway's jar under {@value #ROOT}. {@code /} (and {@code /index.html}) answers the index, never
 * cached, so a new release is picked up at once; {@code /assets/…} answers the bundle's files, whose
 * names carry a hash of their content, cached for a year as immutable. The files are exactly those
 * Vite's manifest lists, read into memory at start (tens of kilobytes); any other name is 404
 * without a lookup. The UI calls the same public API as any client.
 */
@ApplicationScoped
public class WebUi {

    static final String ROOT = "META-INF/skein-ui/";
    private static final Logger LOG = Logger.getLogger(WebUi.class);
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final String POLICY =
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline';"
                    + " frame-src blob:; object-src 'none'; base-uri 'none'; form-action 'self';"
                    + " frame-ancestors 'none'";
    private static final Map<String, String> TYPES = Map.of(
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "woff2", "font/woff2",
            "json", "application/json");

    private record Asset(Buffer body, String type) {}

    /** Null when the gateway was built without the UI. */
    private final Buffer index;

    private final Map<String, Asset> assets = new HashMap<>();

    WebUi() {
        byte[] page = read("index.html");
        byte[] manifest = read(".vite/manifest.json");
        if (page == null || manifest == null) {
            LOG.warn("The web UI is not in this build (no " + ROOT + "index.html): / answers 404");
            index = null;
            return;
        }
        index = Buffer.buffer(page);
        JsonObject chunks = new JsonObject(Buffer.buffer(manifest));
        for (String name : chunks.fieldNames()) {
            JsonObject chunk = chunks.getJsonObject(name);
            add(chunk.getString("file"));
            for (String key : new String[] {"css", "assets"}) {
                JsonArray files = chunk.getJsonArray(key, new JsonArray());
                for (int i = 0; i < files.size(); i++) {
                    add(files.getString(i));
                }
            }
        }
        LOG.infof("Serving the web UI at / (%d bundle files)", assets.size());
    }

    private void add(String file) {
        if (file == null || !file.startsWith("assets/") || assets.containsKey(file.substring(7))) {
            return;
        }
        byte[] body = read(file);
        if (body == null) {
            throw new IllegalStateException("The web UI's manifest names " + file + ", which is not in the build");
        }
        String name = file.substring(7);
        String extension = name.substring(name.lastIndexOf('.') + 1);
        assets.put(name, new Asset(Buffer.buffer(body), TYPES.getOrDefault(extension, "application/octet-stream")));
    }

    private static byte[] read(String file) {
        try (InputStream in = WebUi.class.getClassLoader().getResourceAsStream(ROOT + file)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void register(@Observes Router router) {
        router.route("/").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::index);
        router.route("/index.html")
                .method(HttpMethod.GET)
                .method(HttpMethod.HEAD)
                .handler(this::index);
        router.route("/assets/:name")
                .method(HttpMethod.GET)
                .method(HttpMethod.HEAD)
                .handler(this::asset);
    }

    private void index(RoutingContext ctx) {
        if (index == null) {
            ctx.response()
                    .setStatusCode(404)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
                    .end("No web UI in this build");
            return;
        }
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("Content-Security-Policy", POLICY)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "same-origin")
                .end(index);
    }

    private void asset(RoutingContext ctx) {
        Asset asset = assets.get(ctx.pathParam("name"));
        if (asset == null) {
            ctx.response()
                    .setStatusCode(404)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
                    .end("Not found");
            return;
        }
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, asset.type())
                .putHeader(HttpHeaders.CACHE_CONTROL, IMMUTABLE)
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(asset.body());
    }
}
