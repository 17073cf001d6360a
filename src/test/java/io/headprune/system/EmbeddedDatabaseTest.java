package io.headprune.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default is durable: what a one-machine install keeps survives a power loss. */
class EmbeddedDatabaseTest {

  @TempDir Path data;

  @Test
  void fsyncSynchronousCommitAndFullPageWritesAreOn() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedDatabaseConfiguration.start(data.resolve("postgres"));
        Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      for (String setting : new String[] {"fsync", "synchronous_commit", "full_page_writes"}) {
        try (ResultSet result = statement.executeQuery("show " + setting)) {
          assertThat(result.next()).isTrue();
          assertThat(result.getString(1)).as(setting).isEqualTo("on");
        }
      }
    }
  }
}
