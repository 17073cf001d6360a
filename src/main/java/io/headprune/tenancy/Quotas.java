package io.headprune.tenancy;

import io.headprune.problem.QuotaExceededException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Enforces {@link QuotaSettings} in the database: each check locks the tenant's row until the
 * transaction that adds the job, upload or bytes commits, so concurrent requests of one tenant (on
 * any replica) take turns and a limit of 5 admits exactly 5.
 */
@Service
public class Quotas {

  /** What a tenant uses now, next to its limits. */
  public record Usage(
      String tenant,
      long queuedJobs,
      long runningJobs,
      long storedBytes,
      long uploadsLastHour,
      Limits limits) {}

  /** A tenant's quotas, in the units of {@link Usage}. */
  public record Limits(long queuedJobs, long runningJobs, long storedBytes, long uploadsPerHour) {}

  private static final Duration HOUR = Duration.ofHours(1);

  private final QuotaSettings settings;
  private final TenancyRepositories.Tenants tenants;
  private final TenancyRepositories.AuditRows audit;
  private final JdbcTemplate sql;
  private final Clock clock;

  Quotas(
      QuotaSettings settings,
      TenancyRepositories.Tenants tenants,
      TenancyRepositories.AuditRows audit,
      JdbcTemplate sql,
      Clock clock) {
    this.settings = settings;
    this.tenants = tenants;
    this.audit = audit;
    this.sql = sql;
    this.clock = clock;
  }

  public QuotaSettings settings() {
    return settings;
  }

  /** Locks {@code tenant}'s row until the current transaction ends. */
  private void lock(String tenant) {
    tenants
        .lockById(tenant)
        .orElseThrow(() -> new IllegalStateException("tenant " + tenant + " has no row"));
  }

  /** Admits one more queued job of {@code tenant}, or refuses with 429. */
  @Transactional(propagation = Propagation.MANDATORY)
  public void admitQueuedJob(String tenant) {
    lock(tenant);
    long queued = count("select count(*) from jobs where tenant = ? and status = 'QUEUED'", tenant);
    if (queued >= settings.queuedJobs()) {
      throw new QuotaExceededException(
          QuotaExceededException.Kind.RATE,
          "queued-jobs",
          settings.queuedJobs(),
          queued,
          60,
          "tenant "
              + tenant
              + " has "
              + queued
              + " queued jobs, its limit (quota queued-jobs); retry once some "
              + "have started");
    }
  }

  /**
   * Whether another job of {@code tenant} may start now (the row stays locked until the start
   * commits).
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public boolean mayStartJob(String tenant) {
    lock(tenant);
    return count("select count(*) from jobs where tenant = ? and status = 'RUNNING'", tenant)
        < settings.runningJobs();
  }

  /**
   * Admits an upload of {@code bytes} more stored bytes for {@code tenant}: refuses with 429 past
   * the uploads per hour, and with 413 past the stored bytes.
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public void admitUpload(String tenant, long bytes) {
    lock(tenant);
    checkUploadRate(tenant);
    long stored = storedBytes(tenant);
    long limit = settings.storedBytes().toBytes();
    if (stored + bytes > limit) {
      throw new QuotaExceededException(
          QuotaExceededException.Kind.STORAGE,
          "stored-bytes",
          limit,
          stored,
          0,
          "tenant "
              + tenant
              + " stores "
              + stored
              + " bytes; this upload needs "
              + bytes
              + " more, past its limit of "
              + limit
              + " (quota stored-bytes); delete models, datasets or jobs first");
    }
  }

  /**
   * Refuses with 429 when {@code tenant} has made its uploads of the last hour (no lock: an early
   * check).
   */
  public void checkUploadRate(String tenant) {
    Instant since = clock.instant().minus(HOUR);
    long uploads = audit.countSince(tenant, Audit.UPLOADS, since);
    if (uploads >= settings.uploadsPerHour()) {
      Instant oldest = audit.oldestSince(tenant, Audit.UPLOADS, since).orElse(clock.instant());
      long wait = Math.max(1, Duration.between(clock.instant(), oldest.plus(HOUR)).toSeconds() + 1);
      throw new QuotaExceededException(
          QuotaExceededException.Kind.RATE,
          "uploads-per-hour",
          settings.uploadsPerHour(),
          uploads,
          wait,
          "tenant "
              + tenant
              + " made "
              + uploads
              + " uploads in the last hour, its limit (quota "
              + "uploads-per-hour); retry in "
              + wait
              + " seconds");
    }
  }

  /** What {@code tenant} uses now. */
  @Transactional(readOnly = true)
  public Usage usage(String tenant) {
    return new Usage(
        tenant,
        count("select count(*) from jobs where tenant = ? and status = 'QUEUED'", tenant),
        count("select count(*) from jobs where tenant = ? and status = 'RUNNING'", tenant),
        storedBytes(tenant),
        audit.countSince(tenant, Audit.UPLOADS, clock.instant().minus(HOUR)),
        new Limits(
            settings.queuedJobs(),
            settings.runningJobs(),
            settings.storedBytes().toBytes(),
            settings.uploadsPerHour()));
  }

  /** Bytes of the tenant's stored models, datasets and job outputs. */
  private long storedBytes(String tenant) {
    return count(
        "select (select coalesce(sum(bytes), 0) from models where tenant = ?)"
            + " + (select coalesce(sum(bytes), 0) from datasets where tenant = ?)"
            + " + (select coalesce(sum(bytes), 0) from artifacts where tenant = ?)",
        tenant,
        tenant,
        tenant);
  }

  private long count(String query, Object... arguments) {
    Long value = sql.queryForObject(query, Long.class, arguments);
    return value == null ? 0 : value;
  }
}
