package dev.skein.cli.recipes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The repository's regression example copied into a test's directory. */
final class RecipeTestFiles {

    private RecipeTestFiles() {}

    static Path example(String name) {
        Path here = Path.of("").toAbsolutePath();
        // the tests run in deploy/cli (Maven) or the repository's root
        for (Path base : new Path[] {here, here.resolve("deploy/cli")}) {
            Path p = base.resolve("examples/recipes").resolve(name);
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no examples/recipes/" + name + " under " + here);
    }

    static Path copy(String name, Path target) throws IOException {
        Path source = example(name);
        try (Stream<Path> walk = Files.walk(source)) {
            for (Path p : walk.toList()) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return target;
    }
}
