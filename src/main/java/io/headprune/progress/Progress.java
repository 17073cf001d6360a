package io.headprune.progress;

import java.util.Map;

/**
 * Receives progress of long work, one call per finished batch. It never stops the work: a run is
 * stopped by its {@link StopToken}, which the engine checks after each report.
 */
@FunctionalInterface
public interface Progress {

  /** Does nothing. */
  Progress NONE = (phase, done, total) -> {};

  /** {@code done} of {@code total} units of {@code phase} are finished. */
  void report(Phase phase, long done, long total);

  /**
   * The run's plan, passes per phase (§8), from the examples it read: sent once, before the passes.
   * Ignored unless overridden.
   */
  default void planned(Map<Phase, Long> passes) {}

  /**
   * The run's passes so far, in forward passes: {@code done}, and at most {@code remaining} still
   * to come by the plan (phases finished count none). Sent with progress; ignored unless
   * overridden.
   */
  default void passes(long done, long remaining) {}

  /**
   * A decision the run made ({@code kind}: alpha, target), in a sentence. Ignored unless
   * overridden.
   */
  default void event(String kind, String detail) {}
}
