package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.support.TestDatabase;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * V18 gives jobs queued before it the columns their view reads: the request as submitted (unwrapped
 * from its versioned document, or the bare request of schema 1) and a Hub model's repository and
 * revision.
 */
class JobViewColumnsMigrationTest {

  @Test
  void jobsQueuedBeforeTheColumnsGetThemFromTheirStoredRequest() {
    TestDatabase.Database database = TestDatabase.fresh();
    DriverManagerDataSource source =
        new DriverManagerDataSource(database.url(), database.username(), database.password());
    Flyway.configure().dataSource(source).target("17").load().migrate();
    JdbcTemplate sql = new JdbcTemplate(source);
    UUID dataset = UUID.randomUUID();
    sql.update(
        "insert into datasets (id, tenant, sha256, format, rows, storage_path, created_at, bytes)"
            + " values (?, 'default', ?, 'jsonl', 3, 'file:///d', now(), 1)",
        dataset,
        "c".repeat(64));
    UUID hub = UUID.randomUUID();
    UUID legacy = UUID.randomUUID();
    String insert =
        "insert into jobs (id, tenant, status, phase, calibration_id, request, created_at,"
            + " updated_at) values (?, 'default', 'SUCCEEDED', 'done', ?, ?, now(), now())";
    sql.update(
        insert,
        hub,
        dataset,
        """
        {"schema": 3, "request": {"model": {"hub": "org/tiny", "revision": "v1"}, "seeds": 3}}""");
    sql.update(
        insert,
        legacy,
        dataset,
        """
        {"model": {"id": "%s"}, "seeds": 1}"""
            .formatted(UUID.randomUUID()));

    Flyway.configure().dataSource(source).load().migrate();

    Map<String, Object> fromHub =
        sql.queryForMap("select asked, model_hub, model_revision from jobs where id = ?", hub);
    assertThat(fromHub.get("model_hub")).isEqualTo("org/tiny");
    assertThat(fromHub.get("model_revision")).isEqualTo("v1");
    assertThat(
            sql.queryForObject(
                "select asked::jsonb = ?::jsonb from jobs where id = ?",
                Boolean.class,
                "{\"model\": {\"hub\": \"org/tiny\", \"revision\": \"v1\"}, \"seeds\": 3}",
                hub))
        .isTrue();
    Map<String, Object> uploaded =
        sql.queryForMap("select asked, model_hub, model_revision from jobs where id = ?", legacy);
    assertThat(uploaded.get("model_hub")).isNull();
    assertThat(uploaded.get("model_revision")).isNull();
    assertThat((String) uploaded.get("asked")).contains("\"seeds\": 1");
  }
}
