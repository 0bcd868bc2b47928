package dev.skein.gateway.auth;

import dev.skein.common.error.ApiException;
import dev.skein.proto.api.v1.Access;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * MLflow's permissions on an experiment, a registered model or an LLM gateway endpoint, exactly as
 * MLflow 3's auth app defines them ({@code mlflow/server/auth/permissions.py}): what each lets its
 * holder do. {@code USE} lies between READ and EDIT: reading, and invoking an LLM endpoint; on an
 * experiment or a model it reads, as in MLflow.
 */
public enum Permission {
    READ(true, false, false, false, false),
    USE(true, true, false, false, false),
    EDIT(true, true, true, false, false),
    MANAGE(true, true, true, true, true),
    NO_PERMISSIONS(false, false, false, false, false);

    private final boolean canRead;
    private final boolean canUse;
    private final boolean canUpdate;
    private final boolean canDelete;
    private final boolean canManage;

    Permission(boolean canRead, boolean canUse, boolean canUpdate, boolean canDelete, boolean canManage) {
        this.canRead = canRead;
        this.canUse = canUse;
        this.canUpdate = canUpdate;
        this.canDelete = canDelete;
        this.canManage = canManage;
    }

    /** Whether this permission lets its holder do at least everything {@code other} does. */
    public boolean includes(Permission other) {
        return (canRead || !other.canRead)
                && (canUse || !other.canUse)
                && (canUpdate || !other.canUpdate)
                && (canDelete || !other.canDelete)
                && (canManage || !other.canManage);
    }

    public boolean canRead() {
        return canRead;
    }

    /** Whether its holder may invoke an LLM endpoint. */
    public boolean canUse() {
        return canUse;
    }

    /** Whether this permission lets its holder do what an endpoint's access level asks. */
    public boolean allows(Access.Level level) {
        return switch (level) {
            case READ -> canRead;
            case UPDATE -> canUpdate;
            case DELETE -> canDelete;
            case MANAGE -> canManage;
            case LEVEL_UNSPECIFIED -> false;
        };
    }

    /** A permission by its name, refused in MLflow's words when there is none of that name. */
    public static Permission parse(String name) {
        for (Permission p : values()) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw ApiException.invalidParameter("Invalid permission '" + name + "'. Valid permissions are: ("
                + Arrays.stream(values()).map(p -> "'" + p.name() + "'").collect(Collectors.joining(", ")) + ")");
    }
}
