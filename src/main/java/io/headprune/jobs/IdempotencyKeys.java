package io.headprune.jobs;

import io.headprune.checkpoint.Json;
import io.headprune.problem.ConflictException;
import io.headprune.problem.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * {@code Idempotency-Key} of job submissions, kept in PostgreSQL so that every replica sees it: the
 * first submission with a key claims it (a unique row, inserted in the submission's transaction — a
 * concurrent one with the same key waits for it, then finds the job); the same key with the same
 * body later answers the same job; with another body, 409. Keys expire after 24 h.
 */
@Component
class IdempotencyKeys {

  static final Duration LIFETIME = Duration.ofHours(24);

  private final JdbcTemplate sql;
  private final Clock clock;

  IdempotencyKeys(JdbcTemplate sql, Clock clock) {
    this.sql = sql;
    this.clock = clock;
  }

  /** Checks the header's form: 1 to 255 printable ASCII characters. */
  static void check(String key) {
    if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw new InvalidInputException(
          "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces");
    }
  }

  /** The SHA-256 of a request body, as its canonical JSON. */
  static String hash(JobRequest request) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(Json.MAPPER.writeValueAsString(request).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /**
   * The job an earlier submission with {@code key} and the same body created, while the key lives;
   * 409 for another body. No lock: {@link #claim} settles a race.
   */
  Optional<UUID> earlier(String tenant, String key, String requestHash) {
    List<Map<String, Object>> rows =
        sql.queryForList(
            "select request_hash, job_id from idempotency_keys"
                + " where tenant = ? and key = ? and created_at >= ?",
            tenant,
            key,
            Timestamp.from(clock.instant().minus(LIFETIME)));
    if (rows.isEmpty()) {
      return Optional.empty();
    }
    sameBody(rows.get(0), key, requestHash);
    return Optional.of((UUID) rows.get(0).get("job_id"));
  }

  private static void sameBody(Map<String, Object> row, String key, String requestHash) {
    if (!requestHash.equals(String.valueOf(row.get("request_hash")).trim())) {
      throw new ConflictException(
          "Idempotency-Key "
              + key
              + " was used with another request body in the last 24 hours; use a new key for a new job");
    }
  }

  /**
   * Claims {@code key} for job {@code job} of {@code tenant}, or returns the job an earlier
   * submission with the same key and body created (409 for another body). An expired key is claimed
   * anew.
   */
  @Transactional(propagation = Propagation.MANDATORY)
  Optional<UUID> claim(String tenant, String key, String requestHash, UUID job) {
    Timestamp now = Timestamp.from(clock.instant());
    Timestamp expired = Timestamp.from(clock.instant().minus(LIFETIME));
    sql.update(
        "delete from idempotency_keys where tenant = ? and key = ? and created_at < ?",
        tenant,
        key,
        expired);
    int claimed =
        sql.update(
            "insert into idempotency_keys (tenant, key, request_hash, job_id, created_at)"
                + " values (?, ?, ?, ?, ?) on conflict (tenant, key) do nothing",
            tenant,
            key,
            requestHash,
            job,
            now);
    if (claimed == 1) {
      return Optional.empty();
    }
    List<Map<String, Object>> rows =
        sql.queryForList(
            "select request_hash, job_id from idempotency_keys where tenant = ? and key = ?",
            tenant,
            key);
    if (rows.isEmpty()) {
      throw new ConflictException("Idempotency-Key " + key + " is being used; retry");
    }
    sameBody(rows.get(0), key, requestHash);
    return Optional.of((UUID) rows.get(0).get("job_id"));
  }
}
