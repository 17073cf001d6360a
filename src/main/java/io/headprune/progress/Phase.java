package io.headprune.progress;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The phases of a pruning job, as progress reports them (and {@code GET /v1/jobs/{id}} shows them,
 * lower-case), cancellation checks them and shutdown decides by them.
 */
public enum Phase {
  /** Waiting for a worker. */
  QUEUED,
  /** Fetching a Hub model. */
  DOWNLOAD,
  /** Reading and tokenising the data. */
  LOAD,
  /** The unpruned model's pass over held-out data. */
  DENSE,
  /** Scoring heads: forward and backward per calibration batch. */
  SCORE,
  /** Choosing α per sparsity from the grid. */
  ALPHA,
  /** Searching the sparsity a metric budget allows. */
  TARGET,
  /** Evaluating every criterion at every sparsity and seed. */
  EVALUATE,
  /** Rescaling the kept heads of every evaluated head set, and evaluating them (recovery). */
  RECOVER,
  /** Scoring and evaluating the calibration sets a job compares. */
  COMPARE,
  /** Writing the pruned and masked models and the reports. */
  WRITE,
  /** Finished with its outputs stored. */
  DONE,
  /** Cancelled. */
  CANCELLED,
  /** Failed. */
  FAILED;

  /** The name in progress documents and the database: {@code score}. */
  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Whether a worker shutting down hands the job back in this phase. Writing is finished instead:
   * it is short, and stopping it would waste everything before it.
   */
  public boolean handedBackOnShutdown() {
    return this != WRITE;
  }

  /** The phase named {@code id}. */
  public static Phase of(String id) {
    return valueOf(id.toUpperCase(Locale.ROOT));
  }
}
