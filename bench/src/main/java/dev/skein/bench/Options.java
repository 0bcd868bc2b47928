package dev.skein.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A benchmark's settings: {@code --name value} pairs over defaults; the runner passes the endpoints. */
record Options(
        String gateway,
        String jdbcUrl,
        String dbUser,
        String dbPassword,
        List<Integer> clients,
        int seconds,
        int warmupSeconds,
        int keys,
        int steps) {

    static final String HELP = "--gateway URL, --jdbc-url URL, --db-user NAME, --db-password SECRET,"
            + " --clients 8,16,32, --seconds 10, --warmup 10, --keys 100, --steps 10";

    static Options parse(String[] args) {
        Map<String, String> given = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got: " + Arrays.toString(args));
            }
            given.put(args[i].substring(2), args[i + 1]);
        }
        Options o = new Options(
                given.getOrDefault("gateway", "http://127.0.0.1:8080"),
                given.getOrDefault("jdbc-url", "jdbc:postgresql://127.0.0.1:5432/skein"),
                given.getOrDefault("db-user", "postgres"),
                given.getOrDefault("db-password", ""),
                Arrays.stream(given.getOrDefault("clients", "8,16,32").split(","))
                        .map(String::trim)
                        .map(Integer::parseInt)
                        .toList(),
                Integer.parseInt(given.getOrDefault("seconds", "10")),
                Integer.parseInt(given.getOrDefault("warmup", "10")),
                Integer.parseInt(given.getOrDefault("keys", "100")),
                Integer.parseInt(given.getOrDefault("steps", "10")));
        given.keySet()
                .removeAll(List.of(
                        "gateway",
                        "jdbc-url",
                        "db-user",
                        "db-password",
                        "clients",
                        "seconds",
                        "warmup",
                        "keys",
                        "steps"));
        if (!given.isEmpty()) {
            throw new IllegalArgumentException("unknown options " + given.keySet() + "; known: " + HELP);
        }
        return o;
    }

    int maxClients() {
        return clients.stream().mapToInt(Integer::intValue).max().orElse(1);
    }

    int pointsPerBatch() {
        return keys * steps;
    }
}
