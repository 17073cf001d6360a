package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.storage.ArtifactStore;
import io.headprune.support.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Rows from before sizes were recorded get their size on disk at start; measured rows are left
 * alone.
 */
class StoredBytesTest {

  @TempDir Path data;

  @Test
  void unsizedRowsAreMeasuredOnce() throws Exception {
    TestDatabase.Database database = TestDatabase.fresh();
    DriverManagerDataSource source =
        new DriverManagerDataSource(database.url(), database.username(), database.password());
    Flyway.configure().dataSource(source).load().migrate();
    ArtifactStore store = new ArtifactStore(data);
    Path model = store.model("old-model");
    Files.createDirectories(model);
    Files.write(model.resolve("model.safetensors"), new byte[1234]);
    Files.write(model.resolve("config.json"), new byte[66]);
    JdbcTemplate sql = new JdbcTemplate(source);
    UUID old = UUID.randomUUID();
    UUID sized = UUID.randomUUID();
    String insert =
        "insert into models (id, tenant, sha256, source, architecture, layers, heads, parameters,"
            + " storage_path, created_at, bytes) values (?, 'default', ?, 'upload', 'BertModel', 1, 1, 1, ?, now(), ?)";
    sql.update(insert, old, "a".repeat(64), store.uri(model), null);
    sql.update(insert, sized, "b".repeat(64), store.uri(model), 7L);

    new StoredBytes(sql, store).measureUnsized();

    assertThat(sql.queryForObject("select bytes from models where id = ?", Long.class, old))
        .isEqualTo(1300L);
    assertThat(sql.queryForObject("select bytes from models where id = ?", Long.class, sized))
        .isEqualTo(7L);
  }
}
