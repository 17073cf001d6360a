package io.headprune.problem;

/** Base of every exception headprune raises on purpose; the message names the problem. */
public abstract class HeadpruneException extends RuntimeException {

  protected HeadpruneException(String message) {
    super(message);
  }

  protected HeadpruneException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A short, stable title for the kind of problem (the problem detail's title). */
  public abstract String title();
}
