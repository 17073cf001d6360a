package io.headprune.system;

import io.headprune.storage.ArtifactStore;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Process-wide beans: the clock and the artifact store. */
@Configuration(proxyBeanMethods = false)
class SystemConfiguration {

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }

  @Bean
  ArtifactStore artifactStore(HeadpruneProperties properties) {
    return new ArtifactStore(properties.artifactDir());
  }

  /**
   * Request bodies are read strictly: an unknown field, a key given twice or a number sent as a
   * string is the client's mistake, named in a 400, not silently taken (the last key, the parsed
   * string) or ignored.
   */
  @org.springframework.context.annotation.Bean
  org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer strictRequestBodies() {
    return builder ->
        builder
            .enable(tools.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(tools.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(tools.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS);
  }
}
