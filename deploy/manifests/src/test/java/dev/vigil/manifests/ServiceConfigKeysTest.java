package dev.vigil.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every environment variable a manifest gives a service is one that service reads: a placeholder in
 * its application.yml or logback.xml, or the environment form of one of its keys, in application.yml or read
 * by its settings records (a {@code "vigil.…"} literal in its sources or in contracts'). A variable no service reads is a
 * setting an operator believes in and nothing applies (the sweeper once read {@code vigil.sweeper.create-topics}
 * while the others read {@code vigil.kafka.create-topics}).
 */
class ServiceConfigKeysTest {

    /** Read by code or the JVM, not through application.yml. */
    private static final List<String> PASSED_THROUGH = List.of("VIGIL_KAFKA_CLIENT_", "JAVA_TOOL_OPTIONS",
            "MICRONAUT_ENVIRONMENTS", "JDK_JAVA_OPTIONS");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)");
    private static final Pattern KEY_IN_CODE = Pattern.compile("\"(vigil\\.[a-z0-9.-]+)\"");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.vigil.manifests.Repo#overlays")
    void everyVariableTheManifestsSetIsOneTheServiceReads(Path overlay) throws IOException {
        Rendered rendered = Kustomize.build(overlay);
        for (String service : Repo.SERVICES) {
            Set<String> read = readBy(service);
            assertThat(rendered.env(rendered.service(service)).keySet().stream()
                    .filter(variable -> !read.contains(variable) && PASSED_THROUGH.stream().noneMatch(variable::startsWith)))
                    .as("variables %s is given in %s and does not read", service, overlay).isEmpty();
        }
    }

    /** The variables a service reads: placeholders in application.yml and logback.xml, and each key in environment form. */
    private static Set<String> readBy(String service) throws IOException {
        Path resources = Repo.root().resolve(service).resolve("src/main/resources");
        Path yml = resources.resolve("application.yml");
        Set<String> read = new HashSet<>();
        Matcher placeholders = PLACEHOLDER.matcher(Files.readString(yml) + Files.readString(resources.resolve("logback.xml")));
        while (placeholders.find()) {
            read.add(placeholders.group(1));
        }
        keys("", new ObjectMapper(new YAMLFactory()).readTree(yml.toFile()), read);
        for (String sources : List.of(service, "contracts")) {
            try (Stream<Path> files = Files.walk(Repo.root().resolve(sources).resolve("src/main/java"))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher keys = KEY_IN_CODE.matcher(Files.readString(file));
                    while (keys.find()) {
                        read.add(envForm(keys.group(1)));
                    }
                }
            }
        }
        return read;
    }

    private static String envForm(String key) {
        return key.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }

    private static void keys(String prefix, JsonNode node, Set<String> read) {
        if (!node.isObject()) {
            read.add(envForm(prefix));
            return;
        }
        for (Map.Entry<String, JsonNode> field : (Iterable<Map.Entry<String, JsonNode>>) node::fields) {
            keys(prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey(), field.getValue(), read);
        }
    }
}
