package io.headprune.progress;

import java.util.Locale;
import java.util.concurrent.CancellationException;

/**
 * How a run unwinds once its {@link StopToken} says stop: not a problem (no client reads it as
 * one), the control flow of a stop, which whoever ran the run turns into its outcome.
 */
public final class RunStopped extends CancellationException {

  private final StopToken.Reason reason;

  public RunStopped(StopToken.Reason reason) {
    super("run stopped: " + reason.name().toLowerCase(Locale.ROOT));
    this.reason = reason;
  }

  /** Why the run stopped. */
  public StopToken.Reason reason() {
    return reason;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this; // control flow: the stack says nothing
  }
}
