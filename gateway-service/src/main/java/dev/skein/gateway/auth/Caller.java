package dev.skein.gateway.auth;

/**
 * Who is calling, as the gateway authenticated them.
 *
 * @param username the name that becomes the actor of events, the audit trail and runs' {@code user_id}
 * @param userId the user's row in {@code gateway.users}; 0 for callers that have none (auth off)
 * @param admin administrators pass every permission check
 */
public record Caller(String username, long userId, boolean admin) {

    /** The one user of an installation running without authentication: everything is allowed. */
    public static Caller unauthenticated(String username) {
        return new Caller(username, 0, true);
    }
}
