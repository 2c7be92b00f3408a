# syntax=docker/dockerfile:1
# run-service, from the Maven build's thin jar and its lib/ (nothing is compiled in the image):
#   ./mvnw -q install -DskipTests
#   docker build -f deploy/docker/run-service.Dockerfile -t vigil/run-service:0.1.0-SNAPSHOT .
# The repository root is the build context; run-service.Dockerfile.dockerignore keeps it to the jars.
# Runs as uid 10001 on a read-only root filesystem: only /tmp must be writable (an emptyDir in
# Kubernetes, a tmpfs in docker-compose.yml).
FROM eclipse-temurin:17-jre-noble

RUN groupadd --system --gid 10001 vigil \
 && useradd --system --uid 10001 --gid vigil --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin vigil

WORKDIR /app
# Dependencies first: they change less often than the service's own jar. Owned by root, so the
# service cannot change its own code.
COPY run-service/target/lib/ /app/lib/
COPY run-service/target/vigil-run-service.jar /app/vigil-run-service.jar

# The heap follows the container's memory limit; an OutOfMemoryError ends the process (and the
# orchestrator restarts it) instead of leaving it half alive.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp" \
    PORT=8080
EXPOSE 8080
USER 10001:10001
ENTRYPOINT ["java", "-jar", "/app/vigil-run-service.jar"]
