package dev.skein.cli.projects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Grids combined, distributions drawn reproducibly and in range, bad spaces refused. */
class SearchSpaceTest {

    private static SearchSpace space(List<String> grids, List<String> randoms) {
        return SearchSpace.parse(grids, randoms, Map.of());
    }

    @Test
    void shouldTakeEveryCombinationOfTheGridsTheLastOneFastestThenStartOver() {
        SearchSpace space = space(List.of("a=1,2", "b=x,y,z"), List.of());

        List<Map<String, String>> trials = space.sample(8, 1);

        assertThat(space.gridSize()).isEqualTo(6);
        assertThat(trials.stream().map(t -> t.get("a") + t.get("b")).toList())
                .containsExactly("1x", "1y", "1z", "2x", "2y", "2z", "1x", "1y");
    }

    @Test
    void shouldDrawTheSameTrialsForTheSameSeedAndOthersForAnother() {
        List<String> randoms =
                List.of("lr=loguniform(0.0001,0.1)", "d=uniform(-1,1)", "n=randint(2,5)", "opt=choice(sgd|adam)");
        SearchSpace space = space(List.of("g=1,2"), randoms);

        List<Map<String, String>> once = space.sample(200, 42);

        assertThat(space.sample(200, 42)).isEqualTo(once);
        assertThat(space.sample(200, 43)).isNotEqualTo(once);
        for (Map<String, String> t : once) {
            assertThat(Double.parseDouble(t.get("lr"))).isBetween(0.0001, 0.1);
            assertThat(Double.parseDouble(t.get("d"))).isBetween(-1.0, 1.0);
            assertThat(t.get("n")).isIn("2", "3", "4");
            assertThat(t.get("opt")).isIn("sgd", "adam");
        }
        // every integer and choice comes up in 200 draws; the high bound of randint never does
        assertThat(once.stream().map(t -> t.get("n")).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("2", "3", "4");
        assertThat(once.stream().map(t -> t.get("opt")).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("sgd", "adam");
        // loguniform: as many draws below the geometric middle (0.00316) as above, roughly; uniform would put ~3%
        long low = once.stream()
                .filter(t -> Double.parseDouble(t.get("lr")) < 0.00316)
                .count();
        assertThat(low).isBetween(50L, 150L);
        // integers past 2^53 kept exactly (not through a double)
        SearchSpace big = space(List.of(), List.of("n=randint(9007199254740993,9007199254740995)"));
        assertThat(big.sample(50, 7).stream().map(t -> t.get("n")).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("9007199254740993", "9007199254740994");
    }

    @Test
    void shouldDescribeTheSpaceAsJson() {
        SearchSpace space = space(List.of("a=1,2"), List.of("lr=loguniform(1e-4,0.1)", "o=choice(a|b)"));

        assertThat(space.toJson().toString())
                .isEqualTo(
                        "{\"grid\":{\"a\":[\"1\",\"2\"]},\"random\":{\"lr\":\"loguniform(1.0E-4,0.1)\",\"o\":\"choice(a|b)\"}}");
    }

    @Test
    void shouldRefuseBadSpacesWithAClearMessage() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("r:lr=uniform(1,0)", "the low bound must be below the high one");
        cases.put("r:lr=uniform(1,1)", "the low bound must be below the high one");
        cases.put("r:lr=loguniform(0,1)", "loguniform's bounds must be above 0");
        cases.put("r:n=randint(1.5,3)", "'1.5' is not an integer");
        cases.put("r:n=randint(3,3)", "the high one is excluded");
        cases.put("r:n=randint(-9000000000000000000,9000000000000000000)", "the range is too wide");
        cases.put("r:n=randint(1,2,3)", "two bounds expected");
        cases.put("r:lr=normal(0,1)", "unknown distribution 'normal'");
        cases.put("r:lr=uniform(0)", "two bounds expected");
        cases.put("r:lr=uniform(0,Infinity)", "not a finite number");
        cases.put("r:lr=0.1", "expected uniform(A,B)");
        cases.put("r:o=choice(a||b)", "an empty choice");
        cases.put("g:a=1,,2", "an empty value");
        cases.put("g:a=1,1", "the value '1' is there twice");
        cases.put("g:=1,2", "--grid is NAME=V1,V2");
        cases.put("g:fixed=1,2", "both fixed (-P) and swept");
        cases.forEach((option, message) -> {
            List<String> grids = option.startsWith("g:") ? List.of(option.substring(2)) : List.of();
            List<String> randoms = option.startsWith("r:") ? List.of(option.substring(2)) : List.of();
            assertThatThrownBy(() -> SearchSpace.parse(grids, randoms, Map.of("fixed", "0")))
                    .as(option)
                    .isInstanceOf(ProjectException.class)
                    .hasMessageContaining(message);
        });
        assertThatThrownBy(() -> SearchSpace.parse(List.of("a=1,2"), List.of("a=uniform(0,1)"), Map.of()))
                .hasMessageContaining("the parameter 'a' is swept twice");
        String thousand = "a="
                + String.join(
                        ",",
                        java.util.stream.IntStream.range(0, 40)
                                .mapToObj(Integer::toString)
                                .toList());
        String more = "b="
                + String.join(
                        ",",
                        java.util.stream.IntStream.range(0, 30)
                                .mapToObj(Integer::toString)
                                .toList());
        assertThatThrownBy(() -> SearchSpace.parse(List.of(thousand, more), List.of(), Map.of())
                        .gridSize())
                .hasMessageContaining("more than 1000 combinations");
    }
}
