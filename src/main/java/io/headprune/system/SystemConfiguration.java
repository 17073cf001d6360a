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

  /**
   * What a model may take in this process ({@code headprune.memory.budget}; empty: the container's
   * limit or the RAM, less a tenth and the JVM's heap): a model above it streams its layers.
   */
  @Bean
  io.headprune.model.MemoryBudget memoryBudget(
      @org.springframework.beans.factory.annotation.Value("${headprune.memory.budget:}")
          String budget,
      @org.springframework.beans.factory.annotation.Value("${headprune.memory.stream:auto}")
          String stream,
      @org.springframework.beans.factory.annotation.Value("${headprune.memory.working:}")
          String working) {
    io.headprune.model.MemoryBudget.configureWorking(working);
    io.headprune.model.MemoryBudget.configure(budget);
    io.headprune.model.MemoryBudget.configureStream(stream);
    return io.headprune.model.MemoryBudget.current();
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

  /**
   * Tomcat answers the requests it cannot parse itself: with {@link ProblemReportValve}, as
   * problem+json.
   */
  @Bean
  org.springframework.boot.web.server.WebServerFactoryCustomizer<
          org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory>
      problemReports(
          @org.springframework.beans.factory.annotation.Value(
                  "${server.max-http-request-header-size:8KB}")
              org.springframework.util.unit.DataSize headerLimit) {
    return factory -> {
      ProblemReportValve.headerLimit = headerLimit.toBytes();
      factory.addContextCustomizers(
          context -> {
            if (context.getParent() instanceof org.apache.catalina.core.StandardHost host) {
              host.setErrorReportValveClass(ProblemReportValve.class.getName());
            }
          });
    };
  }
}
