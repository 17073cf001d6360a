package io.headprune.system;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The embedded default: with no {@code spring.datasource.url}, start a real PostgreSQL from Maven
 * Central's binaries (zonky) with its data under {@code data-dir/postgres}, kept between runs —
 * durably: zonky starts PostgreSQL for throwaway test databases (fsync off, asynchronous commit),
 * which a power loss would turn into lost or corrupt job history, so fsync, synchronous_commit and
 * full_page_writes are switched back on.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedDatabaseConfiguration.NoDatasourceUrl.class)
class EmbeddedDatabaseConfiguration {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabaseConfiguration.class);

  /** Matches when no datasource URL is configured. */
  static final class NoDatasourceUrl implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      String url = context.getEnvironment().getProperty("spring.datasource.url");
      return url == null || url.isBlank();
    }
  }

  @Bean(destroyMethod = "close")
  EmbeddedPostgresHost embeddedPostgresHost(HeadpruneProperties properties) {
    Path directory = properties.dataDir().resolve("postgres").toAbsolutePath();
    try {
      Files.createDirectories(directory);
      EmbeddedPostgresHost host = EmbeddedPostgresHost.start(directory);
      log.info(
          "embedded PostgreSQL on port {} with data in {}", host.postgres().getPort(), directory);
      return host;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL in " + directory, e);
    }
  }

  /**
   * Starts PostgreSQL on {@code directory} with durable settings (later -c options override zonky's
   * -F). The caller must hold the directory's lock ({@link EmbeddedPostgresHost}).
   */
  static EmbeddedPostgres start(Path directory) throws IOException {
    return EmbeddedPostgres.builder()
        .setDataDirectory(directory)
        .setCleanDataDirectory(false)
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("full_page_writes", "on")
        .start();
  }

  @Bean(destroyMethod = "close")
  DataSource dataSource(EmbeddedPostgresHost host) {
    EmbeddedPostgres postgres = host.postgres();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres");
    config.setUsername("postgres");
    config.setMaximumPoolSize(10);
    config.setPoolName("headprune-embedded");
    // an unreachable database answers in seconds: 503 to clients, readiness DOWN, workers back off
    config.setConnectionTimeout(3_000);
    config.setValidationTimeout(2_000);
    return new HikariDataSource(config);
  }
}
