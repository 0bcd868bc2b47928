package dev.skein.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import dev.skein.proto.api.v1.Access;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** MLflow's permission semantics, password hashes, token limits and artifact paths, without a server. */
class PermissionsTest {

    @Test
    void permissionsAllowWhatMlflowsDo() {
        assertThat(Permission.READ.allows(Access.Level.READ)).isTrue();
        assertThat(Permission.READ.allows(Access.Level.UPDATE)).isFalse();
        assertThat(Permission.EDIT.allows(Access.Level.UPDATE)).isTrue();
        assertThat(Permission.EDIT.allows(Access.Level.DELETE)).isFalse();
        assertThat(Permission.MANAGE.allows(Access.Level.DELETE)).isTrue();
        assertThat(Permission.MANAGE.allows(Access.Level.MANAGE)).isTrue();
        for (Access.Level level : Access.Level.values()) {
            assertThat(Permission.NO_PERMISSIONS.allows(level)).isFalse();
        }
        assertThat(Permission.MANAGE.includes(Permission.EDIT)).isTrue();
        assertThat(Permission.READ.includes(Permission.EDIT)).isFalse();
        assertThat(Permission.READ.includes(Permission.NO_PERMISSIONS)).isTrue();
    }

    @Test
    void useReadsAndInvokesButChangesNothingAsInMlflow3() {
        assertThat(Permission.READ.canUse()).isFalse();
        assertThat(Permission.USE.canRead()).isTrue();
        assertThat(Permission.USE.canUse()).isTrue();
        assertThat(Permission.USE.allows(Access.Level.UPDATE)).isFalse();
        assertThat(Permission.EDIT.canUse()).isTrue();
        assertThat(Permission.MANAGE.canUse()).isTrue();
        assertThat(Permission.NO_PERMISSIONS.canUse()).isFalse();
        assertThat(Permission.USE.includes(Permission.READ)).isTrue();
        assertThat(Permission.READ.includes(Permission.USE)).isFalse();
        assertThat(Permission.EDIT.includes(Permission.USE)).isTrue();
        assertThat(Permission.parse("USE")).isEqualTo(Permission.USE);
        // a token limited to some experiments or models names no LLM endpoint; a read-only one invokes none
        Caller oneModel = new Caller("ana", 7, false, new Caller.TokenScope(3, false, null, Set.of("m")));
        assertThat(Authorizer.limited(oneModel, AuthStore.Kind.GATEWAY_ENDPOINT, "chat", Permission.MANAGE))
                .isEqualTo(Permission.NO_PERMISSIONS);
        Caller readOnly = new Caller("ana", 7, false, new Caller.TokenScope(4, true, null, null));
        assertThat(Authorizer.limited(readOnly, AuthStore.Kind.GATEWAY_ENDPOINT, "chat", Permission.USE)
                        .canUse())
                .isFalse();
    }

    @Test
    void anUnknownPermissionIsRefusedInMlflowsWords() {
        assertThatThrownBy(() -> Permission.parse("WRITE"))
                .isInstanceOf(ApiException.class)
                .hasMessage("Invalid permission 'WRITE'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE',"
                        + " 'NO_PERMISSIONS')");
    }

    @Test
    void passwordHashesAreSaltedSlowAndVerifyOnlyTheirPassword() {
        PasswordHasher hasher = new PasswordHasher(1000);
        String a = hasher.hash("s3cret");
        String b = hasher.hash("s3cret");
        assertThat(a).startsWith("pbkdf2-sha256$1000$").isNotEqualTo(b).doesNotContain("s3cret");
        assertThat(PasswordHasher.verify("s3cret", a)).isTrue();
        assertThat(PasswordHasher.verify("s3cret ", a)).isFalse();
        assertThat(PasswordHasher.verify("", a)).isFalse();
        assertThat(PasswordHasher.verify("s3cret", "!")).isFalse();
        assertThat(PasswordHasher.verify("s3cret", "pbkdf2-sha256$x$y$z")).isFalse();
        // a hash made with another iteration count still verifies after the setting changes
        assertThat(PasswordHasher.verify("s3cret", new PasswordHasher(2000).hash("s3cret")))
                .isTrue();
    }

    @Test
    void aTokensLimitsNarrowTheUsersPermission() {
        Caller readOnly = new Caller("ana", 7, false, new Caller.TokenScope(1, true, null, null));
        assertThat(Authorizer.limited(readOnly, AuthStore.Kind.EXPERIMENT, "1", Permission.MANAGE))
                .isEqualTo(Permission.READ);
        assertThat(Authorizer.limited(readOnly, AuthStore.Kind.EXPERIMENT, "1", Permission.NO_PERMISSIONS))
                .isEqualTo(Permission.NO_PERMISSIONS);
        Caller oneExperiment = new Caller("ana", 7, true, new Caller.TokenScope(2, false, Set.of("5"), null));
        assertThat(Authorizer.limited(oneExperiment, AuthStore.Kind.EXPERIMENT, "5", Permission.MANAGE))
                .isEqualTo(Permission.MANAGE);
        assertThat(Authorizer.limited(oneExperiment, AuthStore.Kind.EXPERIMENT, "6", Permission.MANAGE))
                .isEqualTo(Permission.NO_PERMISSIONS);
        assertThat(Authorizer.limited(oneExperiment, AuthStore.Kind.EXPERIMENT, null, Permission.MANAGE))
                .isEqualTo(Permission.NO_PERMISSIONS);
        assertThat(Authorizer.limited(oneExperiment, AuthStore.Kind.REGISTERED_MODEL, "m", Permission.EDIT))
                .isEqualTo(Permission.EDIT);
        assertThat(oneExperiment.unlimited()).isFalse();
        assertThat(new Caller("root", 1, true).unlimited()).isTrue();
    }

    @Test
    void anArtifactPathIsJudgedByTheExperimentTheStoreWillSee() {
        assertThat(Authorizer.experimentOfPath("12/abc/artifacts/model.pkl")).isEqualTo("12");
        assertThat(Authorizer.experimentOfPath("/./12/abc")).isEqualTo("12");
        assertThat(Authorizer.experimentOfPath("%31%32/abc")).isEqualTo("12");
        assertThat(Authorizer.experimentOfPath("%2531/abc")).isEqualTo("1");
        assertThat(Authorizer.experimentOfPath("%252F7/abc")).isEqualTo("7");
        assertThat(Authorizer.experimentOfPath("teams/x")).isNull();
        assertThat(Authorizer.experimentOfPath("")).isNull();
    }
}
