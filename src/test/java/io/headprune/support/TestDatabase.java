package io.headprune.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Real PostgreSQL for tests: a Testcontainers postgres:16 when a Docker engine answers, otherwise
 * an embedded PostgreSQL (zonky). Started once per JVM; every caller gets a fresh database on it,
 * so test classes never see each other's rows.
 */
public final class TestDatabase {

  /** Connection settings of one fresh database. */
  public record Database(String url, String username, String password) {}

  private static Server server;

  private record Server(String host, int port, String username, String password, String kind) {}

  private TestDatabase() {}

  /** A new, empty database. */
  public static synchronized Database fresh() {
    Server s = server();
    String name = "t_" + UUID.randomUUID().toString().replace("-", "");
    String admin = "jdbc:postgresql://" + s.host() + ":" + s.port() + "/postgres";
    try (Connection connection = DriverManager.getConnection(admin, s.username(), s.password())) {
      connection.createStatement().execute("create database " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database on " + s.kind(), e);
    }
    return new Database(
        "jdbc:postgresql://" + s.host() + ":" + s.port() + "/" + name, s.username(), s.password());
  }

  private static Server server() {
    if (server != null) {
      return server;
    }
    if (dockerAvailable()) {
      PostgreSQLContainer container = new PostgreSQLContainer("postgres:16");
      container.start();
      server =
          new Server(
              container.getHost(),
              container.getMappedPort(5432),
              container.getUsername(),
              container.getPassword(),
              "Testcontainers postgres:16");
    } else {
      try {
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        postgres.close();
                      } catch (IOException ignored) {
                        // the JVM is exiting
                      }
                    }));
        server =
            new Server(
                "localhost", postgres.getPort(), "postgres", "postgres", "embedded PostgreSQL");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
      }
    }
    System.out.println("test database: " + server.kind());
    return server;
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }
}
