package io.headprune.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The mirrors that document the engine's option unions stay the engine's JSON: the same components
 * of the same types in each record, the same discriminator property and type names in each union,
 * each name naming the mirror of the engine's type.
 */
class OptionSchemasTest {

  @Test
  void everyMirrorHasItsEngineTypesJson() {
    assertThat(OptionSchemas.MIRRORS).hasSize(10);
    OptionSchemas.MIRRORS.forEach(
        (engine, mirror) -> {
          if (engine.isRecord()) {
            assertThat(components(mirror)).as(mirror.getSimpleName()).isEqualTo(components(engine));
          } else {
            assertThat(mirror.getAnnotation(JsonTypeInfo.class).property())
                .as(mirror.getSimpleName())
                .isEqualTo(engine.getAnnotation(JsonTypeInfo.class).property());
            Map<String, Class<?>> engineNames = subtypes(engine);
            Map<String, Class<?>> mirrorNames = subtypes(mirror);
            assertThat(mirrorNames.keySet()).isEqualTo(engineNames.keySet());
            engineNames.forEach(
                (name, type) ->
                    assertThat(mirrorNames.get(name))
                        .as(name)
                        .isEqualTo(OptionSchemas.MIRRORS.get(type)));
            assertThat(mirror.getPermittedSubclasses())
                .containsExactlyInAnyOrderElementsOf(mirrorNames.values());
          }
        });
  }

  private static List<String> components(Class<?> record) {
    return Arrays.stream(record.getRecordComponents())
        .map((RecordComponent c) -> c.getGenericType().getTypeName() + " " + c.getName())
        .toList();
  }

  private static Map<String, Class<?>> subtypes(Class<?> union) {
    return Arrays.stream(union.getAnnotation(JsonSubTypes.class).value())
        .collect(Collectors.toMap(JsonSubTypes.Type::name, JsonSubTypes.Type::value));
  }
}
