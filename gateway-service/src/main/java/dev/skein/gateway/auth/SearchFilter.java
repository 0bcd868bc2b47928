package dev.skein.gateway.auth;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.skein.gateway.route.Route;
import dev.skein.proto.registry.v1.RegistryServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Searches whose results are left to what the caller may read — experiments, registered models and
 * model versions, as MLflow's auth app filters them — with pages still full: when results are left
 * out, the rest of the page is asked of the service from the page's own token, exactly as many as are
 * missing, so the token the client gets continues right after the last result it saw. At most
 * {@code max-search-refills} such calls per page; past them the page is shorter, its token intact.
 */
public final class SearchFilter {

    private record Spec(String items, String id, AuthStore.Kind kind) {}

    private static final Map<String, Spec> SPECS = Map.of(
            TrackingServiceGrpc.getSearchExperimentsMethod().getFullMethodName(),
            new Spec("experiments", "experiment_id", AuthStore.Kind.EXPERIMENT),
            RegistryServiceGrpc.getSearchRegisteredModelsMethod().getFullMethodName(),
            new Spec("registered_models", "name", AuthStore.Kind.REGISTERED_MODEL),
            RegistryServiceGrpc.getSearchModelVersionsMethod().getFullMethodName(),
            new Spec("model_versions", "name", AuthStore.Kind.REGISTERED_MODEL));

    private final AuthStore store;
    private final Authorizer authorizer;
    private final int maxRefills;

    public SearchFilter(AuthStore store, Authorizer authorizer, int maxRefills) {
        this.store = store;
        this.authorizer = authorizer;
        this.maxRefills = maxRefills;
    }

    /** Whether this route's answers are filtered for callers who are not administrators. */
    public static boolean filters(Route route) {
        return SPECS.containsKey(route.method().getFullMethodName());
    }

    /** The first page's answer, left to what the caller may read and refilled through {@code send}. */
    public Uni<Message> filter(
            Caller caller, Route route, Message request, Message first, Function<Message, Uni<Message>> send) {
        Spec spec = SPECS.get(route.method().getFullMethodName());
        if (caller.unlimited() || spec == null) {
            return Uni.createFrom().item(first);
        }
        Uni<List<AuthStore.Grant>> mine =
                caller.admin() ? Uni.createFrom().item(List.of()) : store.grants(spec.kind(), caller.userId());
        return mine.flatMap(grants -> {
            Map<String, Permission> own = new HashMap<>();
            grants.forEach(g -> own.put(g.resource(), g.permission()));
            Descriptor rq = request.getDescriptorForType();
            FieldDescriptor maxResults = rq.findFieldByName("max_results");
            FieldDescriptor pageToken = rq.findFieldByName("page_token");
            long wanted = ((Number) request.getField(maxResults)).longValue();
            List<Message> kept = new ArrayList<>();
            return more(caller, spec, own, request, first, kept, wanted, maxResults, pageToken, 0, send);
        });
    }

    private Uni<Message> more(
            Caller caller,
            Spec spec,
            Map<String, Permission> own,
            Message request,
            Message page,
            List<Message> kept,
            long wanted,
            FieldDescriptor maxResults,
            FieldDescriptor pageToken,
            int refills,
            Function<Message, Uni<Message>> send) {
        Descriptor rs = page.getDescriptorForType();
        FieldDescriptor items = rs.findFieldByName(spec.items());
        FieldDescriptor next = rs.findFieldByName("next_page_token");
        for (int i = 0; i < page.getRepeatedFieldCount(items); i++) {
            Message item = (Message) page.getRepeatedField(items, i);
            String id = (String) item.getField(item.getDescriptorForType().findFieldByName(spec.id()));
            Permission base = caller.admin() ? Permission.MANAGE : own.getOrDefault(id, authorizer.fallback(caller));
            if (Authorizer.limited(caller, spec.kind(), id, base).canRead()) {
                kept.add(item);
            }
        }
        String token = (String) page.getField(next);
        if (kept.size() >= wanted || token.isEmpty() || refills >= maxRefills) {
            Message.Builder answer = page.toBuilder().clearField(items);
            kept.forEach(item -> answer.addRepeatedField(items, item));
            return Uni.createFrom().item(answer.build());
        }
        Message again = request.toBuilder()
                .setField(pageToken, token)
                .setField(maxResults, wanted - kept.size())
                .build();
        return send.apply(again)
                .flatMap(nextPage -> more(
                        caller, spec, own, request, nextPage, kept, wanted, maxResults, pageToken, refills + 1, send));
    }
}
