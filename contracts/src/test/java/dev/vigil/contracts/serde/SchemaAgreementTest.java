package dev.vigil.contracts.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.vigil.contracts.EventSamples;
import dev.vigil.contracts.event.VigilEvent;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The JSON Schemas under {@code schemas/} and the Java records describe the same events. */
class SchemaAgreementTest {

    private static final ObjectMapper JSON = EventJson.mapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    static Stream<VigilEvent> samples() {
        return EventSamples.all().stream();
    }

    @Test
    void everyEventTypeHasASampleAndASchema() {
        Set<String> sampled = new HashSet<>();
        samples().forEach(e -> sampled.add(e.type()));
        assertThat(sampled).isEqualTo(EventJson.types().keySet());
        EventJson.types().keySet().forEach(type -> assertThat(schemaNode(type)).as(type).isNotNull());
    }

    @ParameterizedTest
    @MethodSource("samples")
    void whatTheSerdeWritesValidatesAgainstTheSchema(VigilEvent event) throws Exception {
        JsonNode json = JSON.readTree(EventJson.write(event));
        assertThat(schema(event.type()).validate(json)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void schemaRequiresExactlyWhatTheSerdeRequires(VigilEvent event) {
        JsonNode schema = schemaNode(event.type());
        List<String> required = new ArrayList<>();
        schema.get("required").forEach(n -> required.add(n.asText()));
        List<String> expected = new ArrayList<>(List.of("type"));
        expected.addAll(EventJson.requiredFields(event.getClass()));
        assertThat(required).containsExactlyInAnyOrderElementsOf(expected);

        Set<String> properties = new HashSet<>();
        schema.get("properties").fieldNames().forEachRemaining(properties::add);
        Set<String> components = new HashSet<>(Set.of("type"));
        Arrays.stream(event.getClass().getRecordComponents()).map(RecordComponent::getName).forEach(components::add);
        assertThat(properties).isEqualTo(components);
    }

    @ParameterizedTest
    @MethodSource("samples")
    void bothRejectARecordMissingARequiredField(VigilEvent event) throws Exception {
        for (String field : EventJson.requiredFields(event.getClass())) {
            ObjectNode json = (ObjectNode) JSON.readTree(EventJson.write(event));
            json.remove(field);
            Set<ValidationMessage> errors = schema(event.type()).validate(json);
            assertThat(errors).as("schema without " + field).isNotEmpty();
            byte[] bytes = JSON.writeValueAsBytes(json);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> EventJson.read(bytes, VigilEvent.class))
                    .as("serde without " + field)
                    .isInstanceOf(InvalidEventException.class)
                    .hasMessageContaining(field);
        }
    }

    private static JsonSchema schema(String type) {
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        return FACTORY.getSchema(schemaNode(type), config);
    }

    private static JsonNode schemaNode(String type) {
        try (InputStream in = SchemaAgreementTest.class.getResourceAsStream("/schemas/" + type + ".schema.json")) {
            return in == null ? null : JSON.readTree(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
