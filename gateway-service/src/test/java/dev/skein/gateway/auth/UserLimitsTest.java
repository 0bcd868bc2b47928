package dev.skein.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Requests per user: a burst, then a wait that says how long; each user on their own. */
class UserLimitsTest {

    @Test
    void aUserPastTheBurstWaitsAndOthersDoNot() {
        UserLimits limits = new UserLimits(UserLimits.of(1, 3)); // one more a minute after the burst
        for (int i = 0; i < 3; i++) {
            assertThat(limits.acquire("ana")).isZero();
        }
        long wait = limits.acquire("ana");
        assertThat(wait).isBetween(1L, 60L);
        assertThat(limits.acquire("ben")).isZero();
    }

    @Test
    void noLimitWhenTurnedOff() {
        UserLimits limits = new UserLimits(UserLimits.of(0, 1));
        for (int i = 0; i < 1000; i++) {
            assertThat(limits.acquire("ana")).isZero();
        }
    }
}
