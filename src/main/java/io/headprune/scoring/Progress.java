package io.headprune.scoring;

/** Receives progress of long work, one call per finished batch; may throw to cancel. */
@FunctionalInterface
public interface Progress {

  /** Does nothing. */
  Progress NONE = (phase, done, total) -> {};

  /** {@code done} of {@code total} units of {@code phase} are finished. */
  void report(Phase phase, long done, long total);
}
