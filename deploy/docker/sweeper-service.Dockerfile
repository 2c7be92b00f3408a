# syntax=docker/dockerfile:1
# sweeper-service, from the Maven build's thin jar and its lib/ (nothing is compiled in the image):
#   ./mvnw -q install -DskipTests
#   docker build -f deploy/docker/sweeper-service.Dockerfile -t vigil/sweeper-service:0.1.0-SNAPSHOT .
# The repository root is the build context; sweeper-service.Dockerfile.dockerignore keeps it to the jars.
# Runs as uid 10001 on a read-only root filesystem: /tmp (where RocksDB unpacks its native library)
# and the state directory must be writable (emptyDirs in Kubernetes; a tmpfs and a volume in
# docker-compose.yml).
FROM eclipse-temurin:17-jre-noble

RUN groupadd --system --gid 10001 vigil \
 && useradd --system --uid 10001 --gid vigil --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin vigil \
 && mkdir -p /var/lib/vigil/sweeper \
 && chown 10001:10001 /var/lib/vigil/sweeper

WORKDIR /app
# Dependencies first: they change less often than the service's own jar. Owned by root, so the
# service cannot change its own code.
COPY sweeper-service/target/lib/ /app/lib/
COPY sweeper-service/target/vigil-sweeper-service.jar /app/vigil-sweeper-service.jar

# Half the memory limit for the heap: RocksDB (the state stores) allocates outside it. An
# OutOfMemoryError ends the process instead of leaving it half alive.
# Kafka Streams state lives in VIGIL_SWEEPER_STATE_DIR (a volume mounted there keeps its ownership).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp" \
    PORT=8080 \
    VIGIL_SWEEPER_STATE_DIR=/var/lib/vigil/sweeper
VOLUME ["/var/lib/vigil/sweeper"]
EXPOSE 8080
USER 10001:10001
ENTRYPOINT ["java", "-jar", "/app/vigil-sweeper-service.jar"]
