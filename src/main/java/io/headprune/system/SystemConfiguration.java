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
}
