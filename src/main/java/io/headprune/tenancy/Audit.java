package io.headprune.tenancy;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** The audit trail: one row per state change, written in the transaction that makes the change. */
@Service
public class Audit {

  /** Actions an upload records; the uploads-per-hour quota counts them. */
  public static final List<String> UPLOADS = List.of("model.upload", "dataset.upload");

  /**
   * One audit row as {@code GET /v1/audit} shows it.
   *
   * @param tenant whose resource changed
   * @param actor an API key's prefix or {@code jwt:<subject>}
   * @param action what happened: model.upload, job.submit, key.revoke, …
   * @param target the id it happened to
   * @param at when
   */
  public record Entry(
      long id, String tenant, String actor, String action, String target, Instant at) {}

  private final TenancyRepositories.AuditRows rows;
  private final Clock clock;

  Audit(TenancyRepositories.AuditRows rows, Clock clock) {
    this.rows = rows;
    this.clock = clock;
  }

  /** Records that the current caller did {@code action} to {@code target} in its tenant. */
  @Transactional(propagation = Propagation.MANDATORY)
  public void record(String action, Object target) {
    Caller caller = Caller.current();
    record(caller.tenant(), caller.actor(), action, target);
  }

  /** Records {@code action} by {@code actor} on {@code tenant}'s {@code target}. */
  @Transactional(propagation = Propagation.MANDATORY)
  public void record(String tenant, String actor, String action, Object target) {
    AuditEntity row = new AuditEntity();
    row.tenant = tenant;
    row.actor = actor;
    row.action = action;
    row.target = target == null ? null : target.toString();
    row.at = clock.instant();
    rows.save(row);
  }

  /** A page of {@code tenant}'s trail, newest first. */
  @Transactional(readOnly = true)
  public Page<Entry> list(String tenant, int page, int size) {
    return rows.findByTenant(
            tenant, PageRequest.of(page, size, Sort.by(Sort.Direction.DESC, "at", "id")))
        .map(a -> new Entry(a.id, a.tenant, a.actor, a.action, a.target, a.at));
  }
}
