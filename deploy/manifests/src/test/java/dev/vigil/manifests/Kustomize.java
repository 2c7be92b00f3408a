package dev.vigil.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code kubectl kustomize DIR} (offline: kustomize is built into kubectl) and parses what it renders.
 * A missing kubectl fails the tests with the way to install it: these checks must not be skipped silently.
 */
final class Kustomize {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static final Map<Path, Rendered> BUILT = new ConcurrentHashMap<>();
    private static final long TIMEOUT_SECONDS = 120;

    private Kustomize() {
    }

    /** The resources {@code kubectl kustomize dir} renders; each directory is built once per test run. */
    static Rendered build(Path dir) {
        return BUILT.computeIfAbsent(dir.toAbsolutePath().normalize(), Kustomize::run);
    }

    /**
     * Builds {@code resource} with {@code components} on top, through a kustomization written for it under
     * deploy/manifests/target (a component cannot be built alone).
     */
    static Rendered buildWithComponents(String name, Path resource, List<Path> components) {
        Path dir = Repo.root().resolve("deploy/manifests/target/kustomize-checks").resolve(name);
        StringBuilder kustomization = new StringBuilder("""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - %s
                components:
                """.formatted(dir.relativize(resource)));
        components.forEach(component -> kustomization.append("  - ").append(dir.relativize(component)).append('\n'));
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("kustomization.yaml"), kustomization);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        BUILT.remove(dir.toAbsolutePath().normalize());
        return build(dir);
    }

    /** The kubectl to use: $KUBECTL, else the first kubectl on the PATH. */
    static Path kubectl() {
        String configured = System.getenv("KUBECTL");
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            if (Files.isExecutable(path)) {
                return path;
            }
            throw new AssertionError("KUBECTL=" + configured + " is not an executable file");
        }
        String pathVariable = System.getenv().getOrDefault("PATH", "");
        List<String> dirs = new ArrayList<>(List.of(pathVariable.split(File.pathSeparator)));
        dirs.add("/usr/bin");
        dirs.add("/usr/local/bin");
        for (String dir : dirs) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, "kubectl"))) {
                return Path.of(dir, "kubectl");
            }
        }
        throw new AssertionError("kubectl is not installed, and these checks build every overlay with "
                + "`kubectl kustomize` (offline, no cluster needed). Install it (Debian/Ubuntu: "
                + "`apt-get install -y kubectl`; or https://kubernetes.io/docs/tasks/tools/) or point $KUBECTL at it.");
    }

    private static Rendered run(Path dir) {
        try {
            Path out = Files.createTempFile("kustomize", ".yaml");
            Path err = Files.createTempFile("kustomize", ".err");
            try {
                Process process = new ProcessBuilder(kubectl().toString(), "kustomize", dir.toString())
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError("kubectl kustomize " + Repo.relative(dir) + " took over "
                            + TIMEOUT_SECONDS + " s");
                }
                if (process.exitValue() != 0) {
                    throw new AssertionError("kubectl kustomize " + Repo.relative(dir) + " failed (exit "
                            + process.exitValue() + "):\n" + Files.readString(err));
                }
                return new Rendered(Repo.relative(dir), parse(Files.readString(out)));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every document of a multi-document YAML text, empty ones left out. */
    static List<JsonNode> parse(String yaml) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (var values = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (values.hasNext()) {
                JsonNode document = values.next();
                if (document != null && !document.isNull() && !document.isEmpty()) {
                    documents.add(document);
                }
            }
        }
        return documents;
    }

    /** One YAML file (a single document), e.g. a kustomization.yaml. */
    static JsonNode readFile(Path file) {
        try {
            List<JsonNode> documents = parse(Files.readString(file));
            if (documents.size() != 1) {
                throw new AssertionError(Repo.relative(file) + " holds " + documents.size() + " YAML documents, expected 1");
            }
            return documents.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
