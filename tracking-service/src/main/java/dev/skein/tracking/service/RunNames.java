package dev.skein.tracking.service;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Readable names for runs created without one, like MLflow's ({@code "brave-owl-417"}). */
public final class RunNames {

    private static final List<String> ADJECTIVES = List.of(
            "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "daring", "eager", "fair", "fleet", "gentle",
            "glad", "golden", "grand", "keen", "kind", "lively", "lucky", "merry", "mighty", "nimble", "noble", "proud",
            "quick", "quiet", "rapid", "silent", "smart", "steady", "sunny", "swift", "tidy", "vivid", "warm", "wise");

    private static final List<String> NOUNS = List.of(
            "ant", "bass", "bat", "bear", "bee", "crane", "deer", "dove", "eagle", "eel", "finch", "fox", "frog",
            "gull", "hare", "hawk", "heron", "horse", "ibis", "jay", "koi", "lark", "lynx", "mole", "moth", "newt",
            "otter", "owl", "panda", "quail", "robin", "seal", "snail", "swan", "tern", "toad", "trout", "vole", "wasp",
            "wolf", "wren", "yak");

    private RunNames() {}

    public static String generate() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return ADJECTIVES.get(r.nextInt(ADJECTIVES.size())) + "-" + NOUNS.get(r.nextInt(NOUNS.size())) + "-"
                + r.nextInt(1000);
    }
}
