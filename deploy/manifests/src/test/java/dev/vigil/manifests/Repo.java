package dev.vigil.manifests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Where the deployment files are: the repository root (system property {@code vigil.repo.root}, set by the pom). */
final class Repo {

    /** The services, as their directories, image names and Deployments are called. */
    static final List<String> SERVICES = List.of("run-service", "sweeper-service", "k8s-cleaner-service");

    private Repo() {
    }

    static Path root() {
        String configured = System.getProperty("vigil.repo.root");
        if (configured != null) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/k8s"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the repository root (a directory with deploy/k8s) above "
                + Path.of("").toAbsolutePath());
    }

    static Path k8s() {
        return root().resolve("deploy/k8s");
    }

    static Path docker() {
        return root().resolve("deploy/docker");
    }

    /** The overlays: every directory of deploy/k8s/overlays with a kustomization.yaml. */
    static List<Path> overlays() {
        try (Stream<Path> dirs = Files.list(k8s().resolve("overlays"))) {
            return dirs.filter(dir -> Files.isRegularFile(dir.resolve("kustomization.yaml"))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every directory under deploy/k8s with a kustomization.yaml (Kustomizations and Components). */
    static List<Path> kustomizations() {
        try (Stream<Path> files = Files.walk(k8s())) {
            return files.filter(file -> file.getFileName().toString().equals("kustomization.yaml"))
                    .map(Path::getParent).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code path} relative to the repository root, for messages. */
    static String relative(Path path) {
        return root().relativize(path.toAbsolutePath().normalize()).toString();
    }
}
