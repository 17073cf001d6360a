package io.headprune.pruning;

/** How pruned heads are removed from a checkpoint. */
public enum PruneMode {
  /** Rows of query/key/value and columns of the attention output sliced out (transformers 4.x). */
  PHYSICAL,
  /** Same shapes; value rows, value biases and output columns of pruned heads set to zero. */
  MASKED
}
