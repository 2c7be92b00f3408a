package dev.vigil.infra;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a real Kafka broker and a real PostgreSQL: declare a {@link KafkaBroker} or
 * {@link PostgresDatabase} parameter on a test, constructor or {@code @BeforeAll} method. Each is
 * started on first use and shared by every test class in the JVM; JUnit closes them after the last.
 * Close the application under test (in {@code @AfterAll}) before that, so its clients do not spend
 * their time reconnecting.
 */
public final class RealInfraExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == KafkaBroker.class || type == PostgresDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == KafkaBroker.class
                ? shared(context, KafkaBroker.class, Infra::startKafka)
                : shared(context, PostgresDatabase.class, Infra::startPostgres);
    }

    private static <T extends AutoCloseable> T shared(ExtensionContext context, Class<T> type, Supplier<T> start) {
        ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.create(RealInfraExtension.class));
        Shared shared = store.getOrComputeIfAbsent(type, key -> new Shared(start.get()), Shared.class);
        return type.cast(shared.resource());
    }

    /** Holds a resource in JUnit's root store so it closes once, after the last test of the JVM. */
    private record Shared(AutoCloseable resource) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() throws Exception {
            resource.close();
        }
    }
}
