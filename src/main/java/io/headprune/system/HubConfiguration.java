package io.headprune.system;

import io.headprune.hub.HubClient;
import io.headprune.hub.HubSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The Hub client: huggingface_hub's environment variables ({@code HF_ENDPOINT}, {@code HF_TOKEN},
 * {@code HF_HUB_CACHE}/{@code HF_HOME}, {@code HF_HUB_OFFLINE}); {@code headprune.hub.*} properties
 * override them. Without either, the cache is {@code <data-dir>/huggingface/hub}.
 */
@Configuration(proxyBeanMethods = false)
class HubConfiguration {

  @Bean
  HubClient hubClient(Environment environment, HeadpruneProperties properties) {
    HubSettings fromEnvironment = HubSettings.fromEnvironment(System.getenv());
    boolean cacheFromEnvironment =
        System.getenv("HF_HUB_CACHE") != null || System.getenv("HF_HOME") != null;
    Path defaultCache =
        cacheFromEnvironment
            ? fromEnvironment.cache()
            : properties.dataDir().resolve("huggingface").resolve("hub").toAbsolutePath();
    return new HubClient(
        new HubSettings(
            URI.create(
                environment.getProperty(
                    "headprune.hub.endpoint", fromEnvironment.endpoint().toString())),
            environment.getProperty(
                "headprune.hub.token",
                fromEnvironment.token() == null ? "" : fromEnvironment.token()),
            Path.of(environment.getProperty("headprune.hub.cache", defaultCache.toString())),
            environment.getProperty(
                "headprune.hub.offline", Boolean.class, fromEnvironment.offline()),
            environment.getProperty(
                "headprune.hub.timeout", Duration.class, fromEnvironment.timeout()),
            environment.getProperty(
                "headprune.hub.attempts", Integer.class, fromEnvironment.attempts())));
  }
}
