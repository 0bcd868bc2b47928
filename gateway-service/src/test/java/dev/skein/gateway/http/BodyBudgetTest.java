package dev.skein.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BodyBudgetTest {

    @Test
    void shouldRefuseBytesPastTheBudgetWithoutReservingThem() {
        BodyBudget budget = new BodyBudget(100);
        BodyBudget.Lease first = budget.lease();
        BodyBudget.Lease second = budget.lease();

        assertThat(first.grow(60)).isTrue();
        assertThat(second.grow(50)).isFalse();
        assertThat(second.grow(40)).isTrue();

        assertThat(budget.used()).isEqualTo(100);
        assertThat(second.held()).isEqualTo(40);
    }

    @Test
    void shouldGiveBytesBackOnceWhenALeaseIsClosedAgainAndAgain() {
        BodyBudget budget = new BodyBudget(100);
        BodyBudget.Lease lease = budget.lease();
        lease.grow(70);

        lease.close();
        lease.close();

        assertThat(budget.used()).isZero();
        assertThat(lease.grow(10)).as("a closed lease takes nothing more").isFalse();
        assertThat(budget.lease().grow(100)).isTrue();
    }

    @Test
    void shouldLeakNothingWhenManyRequestsGrowAndCloseAtOnce() throws Exception {
        BodyBudget budget = new BodyBudget(1_000_000);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 20_000; i++) {
                        BodyBudget.Lease lease = budget.lease();
                        for (int c = 0; c < 5; c++) {
                            lease.grow(1_000 + c);
                        }
                        lease.close();
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(1, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(budget.used()).isZero();
    }
}
