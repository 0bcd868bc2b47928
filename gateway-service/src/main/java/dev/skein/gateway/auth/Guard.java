package dev.skein.gateway.auth;

import com.google.protobuf.Message;
import dev.skein.gateway.route.Route;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.DeleteRegisteredModel;
import dev.skein.proto.registry.v1.RenameRegisteredModel;
import dev.skein.proto.tracking.v1.CreateExperiment;
import io.grpc.MethodDescriptor;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * One routed call under the caller's permissions: checked before it is sent ({@link Authorizer}),
 * its answer checked or filtered after ({@link SearchFilter}), and what it changes in ownership
 * recorded as MLflow's auth app records it — the creator of an experiment or a registered model gets
 * MANAGE on it, a renamed model keeps its permissions, a deleted one loses them. With authentication
 * off, calls pass as asked.
 */
public final class Guard {

    private static final Logger LOG = Logger.getLogger(Guard.class);

    private final boolean enabled;
    private final Authorizer authorizer;
    private final SearchFilter searches;
    private final AuthStore store;

    public Guard(boolean enabled, Authorizer authorizer, SearchFilter searches, AuthStore store) {
        this.enabled = enabled;
        this.authorizer = authorizer;
        this.searches = searches;
        this.store = store;
    }

    /** The call as it may be sent for this caller (or answered empty), or a refusal. */
    public Uni<Authorizer.Decision> before(Caller caller, Route route, Message request) {
        if (!enabled) {
            return Uni.createFrom().item(new Authorizer.Decision(request, false));
        }
        return authorizer.authorize(caller, route, request);
    }

    /** A unary call, checked, sent with {@code send}, and its answer as the caller may see it. */
    public Uni<Message> call(Caller caller, Route route, Message request, Function<Message, Uni<Message>> send) {
        return before(caller, route, request).flatMap(decision -> {
            if (decision.empty()) {
                return Uni.createFrom().item(empty(route));
            }
            // who holds permissions on a model about to be renamed or deleted, read before: only
            // theirs move or go, never those of a model that takes the old name meanwhile
            return holdersBefore(decision.request()).flatMap(holders -> send.apply(decision.request())
                    .flatMap(response -> after(caller, route, decision.request(), response, send, holders)));
        });
    }

    private Uni<List<Long>> holdersBefore(Message request) {
        if (!enabled) {
            return Uni.createFrom().item(List.of());
        }
        if (request instanceof RenameRegisteredModel rename) {
            return store.holderIds(rename.getName());
        }
        if (request instanceof DeleteRegisteredModel delete) {
            return store.holderIds(delete.getName());
        }
        return Uni.createFrom().item(List.of());
    }

    /** An empty answer of the route's response type (a search over nothing the caller may read). */
    public static Message empty(Route route) {
        return ((Message) ((MethodDescriptor.PrototypeMarshaller<?>)
                                route.method().getResponseMarshaller())
                        .getMessagePrototype())
                .getDefaultInstanceForType();
    }

    private Uni<Message> after(
            Caller caller,
            Route route,
            Message request,
            Message response,
            Function<Message, Uni<Message>> send,
            List<Long> holders) {
        if (!enabled) {
            return Uni.createFrom().item(response);
        }
        Uni<Message> seen = authorizer.authorizeAnswer(caller, route, response).replaceWith(response);
        if (SearchFilter.filters(route)) {
            seen = seen.flatMap(first -> searches.filter(caller, route, request, first, send));
        }
        return seen.flatMap(answer -> record(caller, request, answer, holders)
                .onFailure()
                .retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(2))
                .atMost(4)
                .onFailure()
                .recoverWithItem(failure -> {
                    // the change is made and cannot be taken back: answered as done, the gap logged
                    LOG.errorf(
                            "%s succeeded but its permissions were not recorded (%s): an administrator can set them"
                                    + " with the permissions API",
                            request.getDescriptorForType().getName(), failure.toString());
                    return null;
                })
                .replaceWith(answer));
    }

    private Uni<Void> record(Caller caller, Message request, Message response, List<Long> holders) {
        if (response instanceof CreateExperiment.Response created && caller.userId() != 0) {
            return store.putGrant(
                    AuthStore.Kind.EXPERIMENT, created.getExperimentId(), caller.userId(), Permission.MANAGE);
        }
        if (response instanceof CreateRegisteredModel.Response created && caller.userId() != 0) {
            return store.putGrant(
                    AuthStore.Kind.REGISTERED_MODEL,
                    created.getRegisteredModel().getName(),
                    caller.userId(),
                    Permission.MANAGE);
        }
        if (request instanceof RenameRegisteredModel rename) {
            return store.renameModel(rename.getName(), rename.getNewName(), holders);
        }
        if (request instanceof DeleteRegisteredModel delete) {
            return store.forgetModel(delete.getName(), holders);
        }
        return Uni.createFrom().voidItem();
    }
}
