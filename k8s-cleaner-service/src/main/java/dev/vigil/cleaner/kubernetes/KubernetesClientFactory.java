package dev.vigil.cleaner.kubernetes;

import dev.vigil.cleaner.settings.CleanerSettings;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

/**
 * The fabric8 client: configured like {@code kubectl} (in-cluster service account, else kubeconfig)
 * unless {@code vigil.cleaner.kubernetes.master-url} names an API server (e.g. {@code kubectl proxy}'s).
 */
@Factory
public class KubernetesClientFactory {

    @Singleton
    @Bean(preDestroy = "close")
    KubernetesClient kubernetesClient(CleanerSettings settings) {
        String masterUrl = settings.service().kubernetesMasterUrl();
        // Retries are KubernetesRetry's, which logs and bounds them; the client's own would multiply them.
        Config config = masterUrl == null
                ? new ConfigBuilder(Config.autoConfigure(null))
                        .withRequestRetryBackoffLimit(0)
                        .build()
                : new ConfigBuilder(Config.empty())
                        .withMasterUrl(masterUrl)
                        // A plain-HTTP endpoint (kubectl proxy) speaks HTTP/1.1; an h2c upgrade attempt can stall it.
                        .withHttp2Disable(masterUrl.startsWith("http:"))
                        .withRequestRetryBackoffLimit(0)
                        .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
