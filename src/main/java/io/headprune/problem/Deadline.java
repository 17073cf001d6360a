package io.headprune.problem;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * A time budget for work on untrusted input done by the current thread — an upload's validation.
 * The loops that can run long on crafted input (archive entries and bytes, data rows, images,
 * tensors) call {@link #check} as they go; past the budget the work stops with a 422 naming what it
 * was doing, and the caller's {@code finally} blocks remove what it had written. Outside {@link
 * #within} a check does nothing, so the same code runs unbounded in a job.
 */
public final class Deadline {

  private static final ThreadLocal<Deadline> CURRENT = new ThreadLocal<>();

  private final Clock clock;
  private final Instant end;
  private final Duration budget;
  private final String work;
  private final String setting;

  private Deadline(Clock clock, Duration budget, String work, String setting) {
    this.clock = clock;
    this.budget = budget;
    this.end = clock.instant().plus(budget);
    this.work = work;
    this.setting = setting;
  }

  /**
   * Runs {@code task} with a budget of {@code budget} on {@code clock}. {@code work} names it in
   * the refusal ("validating the model upload"), {@code setting} the property that sets the budget.
   * A deadline already running (an outer budget) stays in force if it ends sooner.
   */
  public static <T> T within(
      Duration budget, Clock clock, String work, String setting, Supplier<T> task) {
    Deadline outer = CURRENT.get();
    Deadline inner = new Deadline(clock, budget, work, setting);
    CURRENT.set(outer != null && outer.end.isBefore(inner.end) ? outer : inner);
    try {
      return task.get();
    } finally {
      if (outer == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(outer);
      }
    }
  }

  /**
   * Refuses to go on when the current thread's budget has run out; {@code doing} says at what
   * ("reading the archive's entries").
   */
  public static void check(String doing) {
    Deadline deadline = CURRENT.get();
    if (deadline != null && deadline.clock.instant().isAfter(deadline.end)) {
      throw new InvalidInputException(
          deadline.work
              + " took longer than its budget of "
              + human(deadline.budget)
              + " (it was "
              + doing
              + "); nothing was stored. Send a smaller input, or raise "
              + deadline.setting);
    }
  }

  private static String human(Duration duration) {
    long seconds = duration.toSeconds();
    return seconds % 60 == 0 && seconds > 0 ? seconds / 60 + " min" : seconds + " s";
  }
}
