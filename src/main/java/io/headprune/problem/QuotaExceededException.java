package io.headprune.problem;

/**
 * A tenant's quota refuses the request: which quota, its limit and the current use. A rate ({@link
 * Kind#RATE}) says when to retry; a full store ({@link Kind#STORAGE}) is a 413.
 */
public class QuotaExceededException extends HeadpruneException {

  /** How the refusal is answered. */
  public enum Kind {
    /** 429 with Retry-After: it passes with time (uploads per hour, queued jobs). */
    RATE,
    /** 413: the tenant stores too much; delete something first. */
    STORAGE
  }

  private final Kind kind;
  private final String quota;
  private final long limit;
  private final long used;
  private final long retryAfterSeconds;

  public QuotaExceededException(
      Kind kind, String quota, long limit, long used, long retryAfterSeconds, String message) {
    super(message);
    this.kind = kind;
    this.quota = quota;
    this.limit = limit;
    this.used = used;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public Kind kind() {
    return kind;
  }

  /** The quota's name as configured: queued-jobs, running-jobs, stored-bytes, uploads-per-hour. */
  public String quota() {
    return quota;
  }

  public long limit() {
    return limit;
  }

  public long used() {
    return used;
  }

  /** Seconds after which the request may pass (for {@link Kind#RATE}). */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  @Override
  public String title() {
    return "Quota exceeded";
  }
}
