package io.headprune.system;

import io.headprune.model.MemoryBudget;
import io.headprune.storage.ArtifactStore;
import java.time.Clock;
import org.apache.catalina.core.StandardHost;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;

/** Process-wide beans: the clock and the artifact store. */
@Configuration(proxyBeanMethods = false)
class SystemConfiguration {

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * What a model may take in this process ({@code headprune.memory.budget}; empty: the container's
   * limit or the RAM, less a tenth and the JVM's heap): a model above it streams its layers.
   */
  @Bean
  MemoryBudget memoryBudget(
      @Value("${headprune.memory.budget:}") String budget,
      @Value("${headprune.memory.stream:auto}") String stream,
      @Value("${headprune.memory.working:}") String working) {
    MemoryBudget.configureWorking(working);
    MemoryBudget.configure(budget);
    MemoryBudget.configureStream(stream);
    return MemoryBudget.current();
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
  @Bean
  JsonMapperBuilderCustomizer strictRequestBodies() {
    return builder ->
        builder
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS);
  }

  /**
   * Tomcat answers the requests it cannot parse itself: with {@link ProblemReportValve}, as
   * problem+json.
   */
  @Bean
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemReports(
      @Value("${server.max-http-request-header-size:8KB}") DataSize headerLimit) {
    return factory -> {
      ProblemReportValve.headerLimit = headerLimit.toBytes();
      factory.addContextCustomizers(
          context -> {
            if (context.getParent() instanceof StandardHost host) {
              host.setErrorReportValveClass(ProblemReportValve.class.getName());
            }
          });
    };
  }
}
