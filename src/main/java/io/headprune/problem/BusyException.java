package io.headprune.problem;

/** The server has no room for the work now (503 with Retry-After); the same request may succeed. */
public class BusyException extends HeadpruneException {

  private final long retryAfterSeconds;

  public BusyException(String message, long retryAfterSeconds) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** When to try again. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  @Override
  public String title() {
    return ProblemType.SERVER_BUSY.title();
  }
}
