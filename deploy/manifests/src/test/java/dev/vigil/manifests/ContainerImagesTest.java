package dev.vigil.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

/**
 * The Dockerfiles copy what the services' Maven builds produce (no Docker engine is needed to check that), run it
 * as a non-root user, and agree with the Kubernetes manifests; docker-compose.yml builds them and wires the stack.
 */
class ContainerImagesTest {

    private static final Pattern USER = Pattern.compile("(\\d+):(\\d+)");

    static List<String> services() {
        return Repo.SERVICES;
    }

    /** The Dockerfile's instructions, continuation lines joined, comments left out. */
    private static List<String> instructions(String service) {
        Path file = Repo.docker().resolve(service + ".Dockerfile");
        assertThat(file).as("the Dockerfile of %s", service).isRegularFile();
        List<String> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Repo.read(file).split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.length() == 0)) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
            } else {
                current.append(trimmed);
                if (current.length() > 0) {
                    instructions.add(current.toString().strip());
                }
                current.setLength(0);
            }
        }
        return instructions;
    }

    private static List<String> withKeyword(List<String> instructions, String keyword) {
        return instructions.stream().filter(i -> i.startsWith(keyword + " ")).map(i -> i.substring(keyword.length() + 1).strip())
                .toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void theImageCopiesTheThinJarAndTheLibDirectoryTheMavenBuildProduces(String service) {
        List<String> instructions = instructions(service);
        String pom = Repo.read(Repo.root().resolve(service).resolve("pom.xml"));
        String jar = "vigil-" + service + ".jar";

        assertThat(pom).as("%s/pom.xml", service)
                .contains("<artifactId>vigil-" + service + "</artifactId>")
                .contains("<finalName>${project.artifactId}</finalName>")
                .contains("<classpathPrefix>lib/</classpathPrefix>")
                .contains("<outputDirectory>${project.build.directory}/lib</outputDirectory>");
        assertThat(withKeyword(instructions, "COPY")).as("COPY instructions of %s", service).containsExactly(
                service + "/target/lib/ /app/lib/",
                service + "/target/" + jar + " /app/" + jar);
        assertThat(withKeyword(instructions, "ENTRYPOINT")).as("ENTRYPOINT of %s", service)
                .containsExactly("[\"java\", \"-jar\", \"/app/" + jar + "\"]");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void theImageIsAJava17JreRunningAsANonRootUserWithAContainerAwareHeap(String service) {
        List<String> instructions = instructions(service);

        assertThat(withKeyword(instructions, "FROM")).as("FROM of %s", service).singleElement()
                .satisfies(from -> assertThat(from).startsWith("eclipse-temurin:17-jre"));
        String user = withKeyword(instructions, "USER").get(withKeyword(instructions, "USER").size() - 1);
        Matcher numeric = USER.matcher(user);
        assertThat(numeric.matches()).as("USER of %s is numeric uid:gid (runAsNonRoot can check it)", service).isTrue();
        assertThat(Integer.parseInt(numeric.group(1))).as("uid of %s", service).isPositive();
        assertThat(String.join("\n", withKeyword(instructions, "ENV"))).as("ENV of %s", service)
                .contains("JAVA_TOOL_OPTIONS=").contains("-XX:MaxRAMPercentage=").contains("-XX:+ExitOnOutOfMemoryError")
                .contains("PORT=8080");
    }

    /** The build context is the repository root; <Dockerfile>.dockerignore keeps it to what the image copies. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void theBuildContextIsOnlyTheJars(String service) {
        Path ignore = Repo.docker().resolve(service + ".Dockerfile.dockerignore");
        List<String> patterns = Repo.read(ignore).lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();

        assertThat(patterns).as(Repo.relative(ignore)).first().isEqualTo("*");
        assertThat(patterns).as(Repo.relative(ignore)).contains("!" + service + "/target/vigil-" + service + ".jar",
                "!" + service + "/target/lib/");
    }

    /** The uid the image runs as is the one the pods run as (files the image owns stay readable). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void thePodsRunAsTheImagesUser(String service) {
        List<String> users = withKeyword(instructions(service), "USER");
        Matcher user = USER.matcher(users.get(users.size() - 1));
        assertThat(user.matches()).isTrue();
        JsonNode pod = Rendered.podSpec(Kustomize.build(Repo.k8s().resolve("base")).service(service)).path("securityContext");

        assertThat(pod.path("runAsUser").asText()).as("runAsUser of %s", service).isEqualTo(user.group(1));
        assertThat(pod.path("runAsGroup").asText()).as("runAsGroup of %s", service).isEqualTo(user.group(2));
    }

    @Test
    void theSweeperImageAndPodsKeepStateInTheSameDirectory() {
        String env = String.join("\n", withKeyword(instructions("sweeper-service"), "ENV"));
        String stateDir = Kustomize.build(Repo.k8s().resolve("base")).env(Kustomize.build(Repo.k8s().resolve("base"))
                .service("sweeper-service")).get("VIGIL_SWEEPER_STATE_DIR");

        assertThat(env).contains("VIGIL_SWEEPER_STATE_DIR=" + stateDir);
        assertThat(withKeyword(instructions("sweeper-service"), "VOLUME")).singleElement().asString().contains(stateDir);
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeRunsKafkaInKraftModePostgres17AndTheThreeServicesBuiltFromTheirDockerfiles() {
        Path composeFile = Repo.docker().resolve("docker-compose.yml");
        Map<String, Object> compose = new Yaml().load(Repo.read(composeFile));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        String kafkaVersion = property(Repo.read(Repo.root().resolve("pom.xml")), "kafka.version");

        assertThat(services).containsKeys("kafka", "postgres", "run-service", "sweeper-service", "k8s-cleaner-service");
        Map<String, Object> kafka = services.get("kafka");
        Map<String, Object> kafkaEnv = (Map<String, Object>) kafka.get("environment");
        assertThat(kafka.get("image")).as("the broker is the Kafka the services are built against")
                .isEqualTo("apache/kafka:" + kafkaVersion);
        assertThat(String.valueOf(kafkaEnv.get("KAFKA_PROCESS_ROLES"))).contains("broker").contains("controller");
        assertThat(String.valueOf(kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS"))).contains("//kafka:9092");
        assertThat(String.valueOf(kafkaEnv.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE"))).isEqualTo("false");
        assertThat(services.get("postgres").get("image")).isEqualTo("postgres:17");

        Rendered base = Kustomize.build(Repo.k8s().resolve("base"));
        for (String service : Repo.SERVICES) {
            Map<String, Object> definition = services.get(service);
            Map<String, Object> build = (Map<String, Object>) definition.get("build");
            Path context = composeFile.getParent().resolve(String.valueOf(build.get("context"))).normalize();
            Map<String, Object> env = (Map<String, Object>) definition.get("environment");
            String baseImage = Rendered.container(base.service(service)).path("image").asText();

            assertThat(context).as("build context of %s", service).isEqualTo(Repo.root());
            assertThat(context.resolve(String.valueOf(build.get("dockerfile"))))
                    .as("Dockerfile of %s", service).isEqualTo(Repo.docker().resolve(service + ".Dockerfile"));
            assertThat(String.valueOf(definition.get("image"))).as("image of %s (as the manifests name it)", service)
                    .startsWith(baseImage + ":");
            assertThat(definition.get("read_only")).as("read_only of %s", service).isEqualTo(true);
            assertThat(String.valueOf(definition.get("user"))).as("user of %s", service).matches("[1-9]\\d*:\\d+");
            assertThat((List<String>) definition.get("tmpfs")).as("tmpfs of %s", service).contains("/tmp");
            assertThat((List<String>) definition.get("cap_drop")).as("cap_drop of %s", service).contains("ALL");
            assertThat(env).as("environment of %s", service).containsEntry("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092");
            assertThat((Map<String, Object>) definition.get("depends_on")).as("depends_on of %s", service).containsKey("kafka");
        }
        Map<String, Object> runService = (Map<String, Object>) services.get("run-service").get("environment");
        assertThat(runService).containsKeys("VIGIL_DB_URL", "VIGIL_DB_USER", "VIGIL_DB_PASSWORD", "VIGIL_JWT_SECRET");
        assertThat(String.valueOf(runService.get("VIGIL_JWT_SECRET"))).hasSizeGreaterThanOrEqualTo(32);
        assertThat((Map<String, Object>) services.get("run-service").get("depends_on")).containsKey("postgres");
        assertThat((List<String>) services.get("sweeper-service").get("volumes")).as("the sweeper's state volume")
                .anySatisfy(volume -> assertThat(volume).endsWith(":/var/lib/vigil/sweeper"));
    }

    /** No cluster in compose: the cleaner must not reach for one (its consumer and GC are off, the API address inert). */
    @Test
    @SuppressWarnings("unchecked")
    void composeRunsTheCleanerWithoutAKubernetesCluster() {
        Map<String, Object> compose = new Yaml().load(Repo.read(Repo.docker().resolve("docker-compose.yml")));
        Map<String, Object> cleaner = (Map<String, Object>) ((Map<String, Map<String, Object>>) compose.get("services"))
                .get("k8s-cleaner-service").get("environment");

        assertThat(cleaner).containsEntry("VIGIL_CLEANER_CONSUMER_ENABLED", "false")
                .containsEntry("VIGIL_CLEANER_GC_ENABLED", "false")
                .containsKey("VIGIL_CLEANER_KUBERNETES_MASTER_URL");
    }

    static String property(String pom, String name) {
        Matcher matcher = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(pom);
        assertThat(matcher.find()).as("<%s> in the root pom.xml", name).isTrue();
        return matcher.group(1).strip();
    }
}
