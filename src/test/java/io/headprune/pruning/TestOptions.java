package io.headprune.pruning;

import io.headprune.scoring.Criterion;
import java.util.List;

/**
 * The options most pruning tests start from: hies alone at 0.5 (also the target), α 0.5, one seed
 * over the whole pool, 64 tokens, batches of 16, no latency measurement, one-shot selection. A test
 * changes what it is about with the builder.
 */
final class TestOptions {

  private TestOptions() {}

  static PruneOptions.Builder small() {
    return PruneOptions.defaults().toBuilder()
        .criteria(List.of(Criterion.HIES))
        .criterion(Criterion.HIES)
        .sparsities(List.of(0.5))
        .target(PruneOptions.Target.sparsity(0.5))
        .alpha(new Alpha.Fixed(0.5))
        .seeds(1)
        .calibrationSize(null)
        .maxLength(64)
        .batchSize(16)
        .measureLatency(false);
  }
}
