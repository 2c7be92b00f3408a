package dev.vigil.cleaner;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * fabric8's CRUD mock API server for one test class ({@code @ExtendWith(MockApi.class)}), through a
 * {@link FaultInjectingDispatcher} (failures on demand, DELETE preconditions enforced), with a client without
 * retries as the service configures it. It sets the class's static {@code KubernetesClient} and
 * {@code FaultInjectingDispatcher} fields. After the class it destroys the server first and then closes the
 * cleaners' watches ({@link Cleaner#closeAll()}).
 */
public final class MockApi implements BeforeAllCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(MockApi.class);

    private record Running(KubernetesMockServer server, KubernetesClient client) {
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IllegalAccessException {
        FaultInjectingDispatcher dispatcher = new FaultInjectingDispatcher();
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init();
        KubernetesClient client;
        try (KubernetesClient base = server.createClient()) {
            Config config = new ConfigBuilder(base.getConfiguration()).withRequestRetryBackoffLimit(0).build();
            client = new KubernetesClientBuilder().withConfig(config).build();
        }
        context.getStore(NAMESPACE).put(Running.class, new Running(server, client));
        for (Field field : context.getRequiredTestClass().getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            field.setAccessible(true);
            if (field.getType() == KubernetesClient.class) {
                field.set(null, client);
            } else if (field.getType() == FaultInjectingDispatcher.class) {
                field.set(null, dispatcher);
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Running running = context.getStore(NAMESPACE).remove(Running.class, Running.class);
        running.server().destroy();
        Cleaner.closeAll();
        running.client().close();
    }
}
