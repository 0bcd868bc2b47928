package dev.skein.gateway.auth;

import java.util.Set;

/**
 * Who is calling, as the gateway authenticated them.
 *
 * @param username the name that becomes the actor of events, the audit trail and runs' {@code user_id}
 * @param userId the user's row in {@code gateway.users}; 0 for callers that have none (auth off, the
 *     operator's admin token)
 * @param admin administrators pass every permission check (not a token's own limits)
 * @param token the limits of the access token the caller presented; null for a password or the admin token
 * @param fallback what the caller may do where they have no permission of their own, when their groups
 *     give more than the default permission; null for the default
 */
public record Caller(String username, long userId, boolean admin, TokenScope token, Permission fallback) {

    /**
     * What an access token allows on top of its user's permissions: reads only, and only these
     * experiments or registered models (null: all of them).
     */
    public record TokenScope(long tokenId, boolean readOnly, Set<String> experiments, Set<String> models) {

        /**
         * A JWT of an identity provider: no limits of its own, but a bearer credential all the same —
         * it may not mint Skein tokens, set passwords or hand out permissions.
         */
        public static final TokenScope FEDERATED = new TokenScope(0, false, null, null);

        /** Whether the credential is limited to some experiments or models, or to reading. */
        public boolean limited() {
            return readOnly || experiments != null || models != null;
        }
    }

    public Caller(String username, long userId, boolean admin) {
        this(username, userId, admin, null, null);
    }

    public Caller(String username, long userId, boolean admin, TokenScope token) {
        this(username, userId, admin, token, null);
    }

    /** The one user of an installation running without authentication: everything is allowed. */
    public static Caller unauthenticated(String username) {
        return new Caller(username, 0, true);
    }

    /** An administrator whose credential carries no limits: nothing needs checking. */
    public boolean unlimited() {
        return admin && token == null;
    }

    public boolean viaToken() {
        return token != null;
    }
}
