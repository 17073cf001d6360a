package io.headprune.jobs;

import jakarta.annotation.Nullable;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * A job's events, in the order they happened: what {@code GET /v1/jobs/{id}/events} shows. An event
 * is a record of what the job did, never a condition of it: one that cannot be written (its job
 * deleted meanwhile, the database gone) is dropped with a log line, and the job goes on.
 */
@Component
public class JobEvents {

  private static final Logger log = LoggerFactory.getLogger(JobEvents.class);

  /** Longest detail kept: a decision's explanation, not a document. */
  static final int MAX_DETAIL = 2000;

  /**
   * One event.
   *
   * @param at when it happened
   * @param attempt the attempt it belongs to (0 before a worker started the job)
   * @param kind submitted, started, plan, phase, alpha, target, retry, cancel-requested, succeeded,
   *     failed or cancelled
   * @param phase the job's phase then, if it had one
   * @param detail what happened, in a sentence
   */
  public record Event(
      Instant at, int attempt, String kind, @Nullable String phase, String detail) {}

  private final JdbcTemplate sql;
  private final Clock clock;

  JobEvents(JdbcTemplate sql, Clock clock) {
    this.sql = sql;
    this.clock = clock;
  }

  /** Records an event of job {@code id} now. */
  void record(UUID id, int attempt, String kind, @Nullable String phase, String detail) {
    String kept = detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) + "…" : detail;
    try {
      sql.update(
          "insert into job_events (job_id, at, attempt, kind, phase, detail)"
              + " select ?, ?, ?, ?, ?, ? where exists (select 1 from jobs where id = ?)",
          id,
          Timestamp.from(clock.instant()),
          attempt,
          kind,
          phase,
          kept,
          id);
    } catch (DataAccessException e) {
      log.warn("job {}: event {} not recorded: {}", id, kind, e.getMessage());
    }
  }

  /** The events of job {@code id}, oldest first. */
  List<Event> of(UUID id) {
    return sql.query(
        "select at, attempt, kind, phase, detail from job_events where job_id = ? order by id",
        (row, n) ->
            new Event(
                row.getTimestamp(1).toInstant(),
                row.getInt(2),
                row.getString(3),
                row.getString(4),
                row.getString(5)),
        id);
  }
}
