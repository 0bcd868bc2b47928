package dev.skein.evaluation.metrics.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A measurement, not a test: tokens per second of {@link TokenCounter#count} on about 1 MB of English, the given
 * files' text repeated to 1 MB (or, with no argument, generated sentences of common words). Run it on the test
 * class path, e.g. {@code java -cp target/classes:target/test-classes:<jackson> ...TokenCounterThroughput README.md}.
 */
public final class TokenCounterThroughput {

    private static final String[] WORDS = ("the of and to in is was that for it as with be on not he by are this at"
                    + " from his but have an they which one you were her all she there would their we him been has"
                    + " when who will more no if out so said what up its about into than them can only other new"
                    + " some could time these two may then do first any my now such like our over man me even most"
                    + " made after also did many before must through back years where much your way well down should"
                    + " because each just those people how too little state good very make world still own see men"
                    + " work long get here between both life being under never day same another know while last"
                    + " evaluation model metric prediction tokenizer throughput")
            .split(" ");

    private TokenCounterThroughput() {}

    public static void main(String[] args) throws IOException {
        String text = args.length == 0 ? sentences(1 << 20) : repeated(args, 1 << 20);
        long loadStart = System.nanoTime();
        TokenCounter counter = TokenCounter.cl100kBase();
        long loadNanos = System.nanoTime() - loadStart;
        System.out.printf(
                "vocabulary loaded in %d ms, %.1f MB of arrays%n",
                loadNanos / 1_000_000, counter.vocabularyHeapBytes() / 1e6);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        for (int round = 0; round < 3; round++) {
            counter.count(text); // warm-up
        }
        int rounds = 5;
        long tokens = 0;
        long start = System.nanoTime();
        for (int round = 0; round < rounds; round++) {
            tokens += counter.count(text);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "%d bytes, %d tokens per pass; %.2f M tokens/s, %.1f MB/s%n",
                bytes, tokens / rounds, tokens / seconds / 1e6, (double) bytes * rounds / seconds / 1e6);
    }

    private static String repeated(String[] files, int size) throws IOException {
        StringBuilder source = new StringBuilder();
        for (String file : files) {
            source.append(Files.readString(Path.of(file))).append('\n');
        }
        StringBuilder text = new StringBuilder(size + source.length());
        while (text.length() < size) {
            text.append(source);
        }
        return text.toString();
    }

    private static String sentences(int size) {
        Random random = new Random(42);
        StringBuilder text = new StringBuilder(size + 200);
        while (text.length() < size) {
            int words = 5 + random.nextInt(15);
            for (int i = 0; i < words; i++) {
                String word = WORDS[random.nextInt(WORDS.length)];
                text.append(i == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
                text.append(
                        i == words - 1 ? (random.nextInt(5) == 0 ? "?" : ".") : random.nextInt(8) == 0 ? ", " : " ");
            }
            text.append(random.nextInt(6) == 0 ? "\n\n" : " ");
        }
        return text.toString();
    }
}
