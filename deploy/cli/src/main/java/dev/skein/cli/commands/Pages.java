package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Reads an MLflow listing page after page ({@code next_page_token}) until it ends or enough are read. */
final class Pages {

    private Pages() {}

    /**
     * The items of {@code field} over all pages, at most {@code limit} ({@code limit <= 0}: all). {@code fetch}
     * gets the page of a token (null for the first) and the most items that page should hold.
     */
    static List<JsonNode> collect(BiFunctionPage fetch, String field, int limit, int pageSize) {
        List<JsonNode> items = new ArrayList<>();
        String token = null;
        do {
            int want = limit > 0 ? Math.min(pageSize, limit - items.size()) : pageSize;
            JsonNode page = fetch.apply(token, want);
            for (JsonNode item : page.path(field)) {
                if (limit > 0 && items.size() >= limit) {
                    return items;
                }
                items.add(item);
            }
            token = page.path("next_page_token").asText("");
        } while (!token.isEmpty() && (limit <= 0 || items.size() < limit));
        return items;
    }

    /** Each page, handed over as it arrives (nothing kept). */
    static void forEach(BiFunctionPage fetch, String field, int pageSize, java.util.function.Consumer<JsonNode> each) {
        String token = null;
        do {
            JsonNode page = fetch.apply(token, pageSize);
            page.path(field).forEach(each);
            token = page.path("next_page_token").asText("");
        } while (!token.isEmpty());
    }

    @FunctionalInterface
    interface BiFunctionPage {
        JsonNode apply(String pageToken, int maxResults);
    }

    static <T> Function<T, T> identity() {
        return t -> t;
    }
}
