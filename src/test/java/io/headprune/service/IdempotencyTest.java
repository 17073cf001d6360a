package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.support.Archive;
import io.headprune.support.Fixtures;
import io.headprune.support.ServiceTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Idempotency-Key on submissions: a retry gives the same job, another body a 409, concurrent
 * retries one job, and the key expires after 24 hours. An api-only process: jobs stay queued.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class IdempotencyTest extends ServiceTest {

  @Autowired JdbcTemplate sql;

  @DynamicPropertySource
  static void apiOnly(DynamicPropertyRegistry registry) {
    registry.add("headprune.role", () -> "api");
    registry.add("db-scheduler.enabled", () -> "false");
  }

  private String body(String model, String calibration, double sparsity) {
    return """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "target": {"sparsity": %s}}"""
        .formatted(model, calibration, sparsity);
  }

  private ResponseEntity<Map> submit(String key, String body) {
    return http.post()
        .uri("/v1/jobs")
        .header("Idempotency-Key", key)
        .contentType(MediaType.APPLICATION_JSON)
        .body(body)
        .retrieve()
        .toEntity(Map.class);
  }

  private long jobs() {
    return sql.queryForObject("select count(*) from jobs", Long.class);
  }

  @Test
  void aRetryGivesTheSameJobAndAnotherBodyIsAConflict() throws Exception {
    String model =
        (String)
            upload("/v1/models", Archive.tarGz(Fixtures.tinyBert(), DATA.resolve("idem.tar.gz")))
                .get("id");
    String calibration =
        (String) upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl")).get("id");
    long before = jobs();

    ResponseEntity<Map> first = submit("retry-1", body(model, calibration, 0.3));
    assertThat(first.getStatusCode().value()).isEqualTo(202);
    ResponseEntity<Map> again = submit("retry-1", body(model, calibration, 0.3));
    assertThat(again.getStatusCode().value()).isEqualTo(200);
    assertThat(again.getBody().get("id")).isEqualTo(first.getBody().get("id"));
    assertThat(again.getHeaders().getLocation()).isEqualTo(first.getHeaders().getLocation());
    assertThat(jobs()).isEqualTo(before + 1);

    ResponseEntity<Map> other = submit("retry-1", body(model, calibration, 0.5));
    assertThat(other.getStatusCode().value()).isEqualTo(409);
    assertThat((String) other.getBody().get("detail")).contains("another request body");
    assertThat(jobs()).isEqualTo(before + 1);

    // two submissions with one new key at once: one job, both answers name it
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<ResponseEntity<Map>>> answers = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      answers.add(pool.submit(() -> submit("concurrent-1", body(model, calibration, 0.1))));
    }
    List<Integer> codes = new ArrayList<>();
    List<Object> ids = new ArrayList<>();
    for (Future<ResponseEntity<Map>> answer : answers) {
      codes.add(answer.get().getStatusCode().value());
      ids.add(answer.get().getBody().get("id"));
    }
    pool.shutdown();
    assertThat(codes).containsExactlyInAnyOrder(202, 200);
    assertThat(ids.get(0)).isEqualTo(ids.get(1));
    assertThat(jobs()).isEqualTo(before + 2);

    // 24 hours later the key is free again: a new job
    sql.update(
        "update idempotency_keys set created_at = created_at - interval '25 hours' where key = ?",
        "retry-1");
    ResponseEntity<Map> later = submit("retry-1", body(model, calibration, 0.5));
    assertThat(later.getStatusCode().value()).isEqualTo(202);
    assertThat(later.getBody().get("id")).isNotEqualTo(first.getBody().get("id"));

    assertThat(submit(" ", body(model, calibration, 0.5)).getStatusCode().value()).isEqualTo(400);
  }
}
