package dev.skein.cli.projects;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sweep's parameters: grids ({@code k=v1,v2,…}, every combination) and random distributions ({@code uniform(a,b)},
 * {@code loguniform(a,b)}, {@code randint(a,b)}, {@code choice(a|b|c)}, the names Ray Tune and Hyperopt use). Trial
 * {@code i} takes combination {@code i mod G} of the grids (the last grid varying fastest) and a fresh draw of every
 * random parameter, in the order given, from one generator seeded with the sweep's seed: the same seed, the same
 * trials.
 */
public record SearchSpace(Map<String, List<String>> grid, Map<String, Distribution> random) {

    /** The most trials a sweep takes: a sweep is a parent and its trials' runs, not a search engine. */
    public static final int MAX_TRIALS = 1000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-/ ]+");
    private static final Pattern CALL = Pattern.compile("\\s*([a-z]+)\\s*\\((.*)\\)\\s*", Pattern.DOTALL);

    /** A random parameter's distribution. */
    public sealed interface Distribution {
        String sample(Random random);

        /** As it was written, e.g. {@code uniform(0.1,1)}. */
        String describe();
    }

    /** A float between {@code low} (included) and {@code high} (excluded). */
    public record Uniform(double low, double high) implements Distribution {
        @Override
        public String sample(Random random) {
            return Double.toString(low + (high - low) * random.nextDouble());
        }

        @Override
        public String describe() {
            return "uniform(" + low + "," + high + ")";
        }
    }

    /** A float whose logarithm is uniform between {@code log(low)} and {@code log(high)}: learning rates. */
    public record LogUniform(double low, double high) implements Distribution {
        @Override
        public String sample(Random random) {
            double lo = Math.log(low);
            double hi = Math.log(high);
            return Double.toString(Math.exp(lo + (hi - lo) * random.nextDouble()));
        }

        @Override
        public String describe() {
            return "loguniform(" + low + "," + high + ")";
        }
    }

    /** An integer from {@code low} (included) to {@code high} (excluded), as Hyperopt's, Ray Tune's and numpy's. */
    public record RandInt(long low, long high) implements Distribution {
        @Override
        public String sample(Random random) {
            return Long.toString(low + random.nextLong(high - low));
        }

        @Override
        public String describe() {
            return "randint(" + low + "," + high + ")";
        }
    }

    /** One of the values, each as likely. */
    public record Choice(List<String> values) implements Distribution {
        @Override
        public String sample(Random random) {
            return values.get(random.nextInt(values.size()));
        }

        @Override
        public String describe() {
            return "choice(" + String.join("|", values) + ")";
        }
    }

    /**
     * The space of {@code --grid} and {@code --random} options, each {@code NAME=…}; a name appears once in all of
     * them (and not in {@code fixed}, the {@code -P} parameters).
     */
    public static SearchSpace parse(List<String> grids, List<String> randoms, Map<String, String> fixed) {
        Map<String, List<String>> grid = new LinkedHashMap<>();
        Map<String, Distribution> random = new LinkedHashMap<>();
        for (String option : grids == null ? List.<String>of() : grids) {
            String[] kv = split("--grid", option, "NAME=V1,V2,…");
            checkNew(kv[0], grid, random, fixed);
            List<String> values = new ArrayList<>();
            for (String v : kv[1].split(",", -1)) {
                if (v.isBlank()) {
                    throw new ProjectException("--grid " + option + ": an empty value (values are separated by ',')");
                }
                if (values.contains(v.strip())) {
                    throw new ProjectException("--grid " + option + ": the value '" + v.strip() + "' is there twice");
                }
                values.add(v.strip());
            }
            grid.put(kv[0], List.copyOf(values));
        }
        for (String option : randoms == null ? List.<String>of() : randoms) {
            String[] kv = split("--random", option, "NAME=uniform(A,B)");
            checkNew(kv[0], grid, random, fixed);
            random.put(kv[0], distribution(option, kv[1]));
        }
        return new SearchSpace(grid, random);
    }

    private static String[] split(String flag, String option, String form) {
        int eq = option.indexOf('=');
        if (eq <= 0) {
            throw new ProjectException(flag + " is " + form + ", not '" + option + "'");
        }
        String name = option.substring(0, eq).strip();
        if (!NAME.matcher(name).matches()) {
            throw new ProjectException(flag + " " + option + ": '" + name + "' is not a parameter name");
        }
        return new String[] {name, option.substring(eq + 1)};
    }

    private static void checkNew(
            String name, Map<String, List<String>> grid, Map<String, Distribution> random, Map<String, String> fixed) {
        if (grid.containsKey(name) || random.containsKey(name)) {
            throw new ProjectException("the parameter '" + name + "' is swept twice");
        }
        if (fixed.containsKey(name)) {
            throw new ProjectException("the parameter '" + name + "' is both fixed (-P) and swept");
        }
    }

    static Distribution distribution(String option, String text) {
        Matcher m = CALL.matcher(text);
        if (!m.matches()) {
            throw new ProjectException(
                    "--random " + option + ": expected uniform(A,B), loguniform(A,B), randint(A,B) or choice(X|Y|…)");
        }
        String kind = m.group(1);
        String args = m.group(2);
        switch (kind) {
            case "uniform", "loguniform" -> {
                double[] bounds = bounds(option, args);
                if (!(bounds[0] < bounds[1])) {
                    throw new ProjectException("--random " + option + ": the low bound must be below the high one");
                }
                if (kind.equals("loguniform") && bounds[0] <= 0) {
                    throw new ProjectException("--random " + option + ": loguniform's bounds must be above 0");
                }
                return kind.equals("uniform")
                        ? new Uniform(bounds[0], bounds[1])
                        : new LogUniform(bounds[0], bounds[1]);
            }
            case "randint" -> {
                // as longs, not through a double (which loses integers past 2^53)
                String[] parts = args.split(",", -1);
                long[] bounds = new long[2];
                for (int i = 0; i < 2 && parts.length == 2; i++) {
                    try {
                        bounds[i] = Long.parseLong(parts[i].strip());
                    } catch (NumberFormatException e) {
                        throw new ProjectException(
                                "--random " + option + ": '" + parts[i].strip() + "' is not an integer");
                    }
                }
                if (parts.length != 2) {
                    throw new ProjectException("--random " + option + ": two bounds expected, A,B");
                }
                if (bounds[0] >= bounds[1]) {
                    throw new ProjectException("--random " + option
                            + ": the low bound must be below the high one (the high one is excluded)");
                }
                try {
                    Math.subtractExact(bounds[1], bounds[0]);
                } catch (ArithmeticException e) {
                    throw new ProjectException("--random " + option + ": the range is too wide");
                }
                return new RandInt(bounds[0], bounds[1]);
            }
            case "choice" -> {
                List<String> values = new ArrayList<>();
                for (String v : args.split("\\|", -1)) {
                    if (v.isBlank()) {
                        throw new ProjectException(
                                "--random " + option + ": an empty choice (choices are separated by '|')");
                    }
                    values.add(v.strip());
                }
                return new Choice(List.copyOf(values));
            }
            default ->
                throw new ProjectException("--random " + option + ": unknown distribution '" + kind
                        + "' (uniform, loguniform, randint, choice)");
        }
    }

    private static double[] bounds(String option, String args) {
        String[] parts = args.split(",", -1);
        if (parts.length != 2) {
            throw new ProjectException("--random " + option + ": two bounds expected, A,B");
        }
        double[] bounds = new double[2];
        for (int i = 0; i < 2; i++) {
            String p = parts[i].strip();
            try {
                bounds[i] = Double.parseDouble(p);
            } catch (NumberFormatException e) {
                throw new ProjectException("--random " + option + ": '" + p + "' is not a number");
            }
            if (!Double.isFinite(bounds[i])) {
                throw new ProjectException("--random " + option + ": '" + p + "' is not a finite number");
            }
        }
        return bounds;
    }

    /** The number of grid combinations (1 without grids); above {@link #MAX_TRIALS} it is refused. */
    public int gridSize() {
        long size = 1;
        for (List<String> values : grid.values()) {
            size *= values.size();
            if (size > MAX_TRIALS) {
                throw new ProjectException("the grid has more than " + MAX_TRIALS + " combinations");
            }
        }
        return (int) size;
    }

    public boolean isEmpty() {
        return grid.isEmpty() && random.isEmpty();
    }

    /** The parameters of {@code trials} trials, in order. */
    public List<Map<String, String>> sample(int trials, long seed) {
        Random rng = new Random(seed);
        int size = gridSize();
        List<String> names = new ArrayList<>(grid.keySet());
        List<Map<String, String>> all = new ArrayList<>();
        for (int i = 0; i < trials; i++) {
            Map<String, String> params = new LinkedHashMap<>();
            // the i-th combination in mixed radix, the last grid the fastest digit
            int rest = i % size;
            String[] picked = new String[names.size()];
            for (int g = names.size() - 1; g >= 0; g--) {
                List<String> values = grid.get(names.get(g));
                picked[g] = values.get(rest % values.size());
                rest /= values.size();
            }
            for (int g = 0; g < names.size(); g++) {
                params.put(names.get(g), picked[g]);
            }
            random.forEach((name, d) -> params.put(name, d.sample(rng)));
            all.add(params);
        }
        return all;
    }

    /** The space as JSON: {@code {"grid": {k: [v…]}, "random": {k: "uniform(a,b)"}}} (the parent's tag). */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        ObjectNode g = json.putObject("grid");
        grid.forEach((k, values) -> values.forEach(g.putArray(k)::add));
        ObjectNode r = json.putObject("random");
        random.forEach((k, d) -> r.put(k, d.describe()));
        return json;
    }
}
