package io.headprune.pruning;

import io.headprune.model.HeadModel;
import io.headprune.progress.Phase;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScore;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.HeadSelector;
import io.headprune.scoring.RawScores;
import io.headprune.scoring.ScoreTable;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Which heads a criterion prunes at a sparsity (§3.8): the lowest-scoring at once (globally, or
 * whole key/value groups per layer), or a step at a time, re-scoring with the heads pruned so far
 * gated off.
 */
final class HeadSelection {

  private final HeadModel model;
  private final PruneOptions options;
  private final RunProgress account;
  private ToDoubleFunction<HeadRef> weightNorms;

  HeadSelection(HeadModel model, PruneOptions options, RunProgress account) {
    this.model = model;
    this.options = options;
    this.account = account;
  }

  /**
   * The heads {@code criterion} prunes at {@code sparsity} given seed {@code seed}'s scores {@code
   * raw} on {@code sample} (which an iterative selection re-scores).
   */
  List<HeadRef> select(
      Criterion criterion,
      int seed,
      double sparsity,
      double alpha,
      RawScores raw,
      List<Encoded> sample) {
    ScoreTable table = ScoreTable.of(raw, alpha, options.normalization());
    if (!options.iterative()) {
      return oneShot(criterion, table, seed, sparsity);
    }
    return iterative(
        criterion,
        seed,
        sparsity,
        alpha,
        table,
        pruned -> rescore(sample, pruned),
        options,
        norms());
  }

  /** {@code sample} scored again with {@code pruned} gated off (phase "score", within a step). */
  RawScores rescore(List<Encoded> sample, Set<HeadRef> pruned) {
    return HeadScorer.score(
        model,
        sample,
        options.batchSize(),
        pruned,
        account.counting(Phase.SCORE, sample.size(), account.within()));
  }

  /** One-shot selection on {@code table}: global, or whole key/value groups per layer. */
  List<HeadRef> oneShot(Criterion criterion, ScoreTable table, int seed, double sparsity) {
    if (!options.uniformGroups()) {
      return Pruner.select(criterion, table, norms(), seed, sparsity, options.minHeadsPerLayer());
    }
    int hidden = model.config().hiddenSize();
    List<HeadRef> heads = table.heads().stream().map(HeadScore::ref).toList();
    return HeadSelector.uniformGroups(
        heads,
        criterion.scores(table, norms(), seed),
        sparsity,
        model.config().keyValueHeads(),
        left -> !(options.loadableByV5() || model.headsMustDivideHidden()) || hidden % left == 0);
  }

  /** The heads' weight norms (the L2 criterion's scores), computed on first need. */
  ToDoubleFunction<HeadRef> norms() {
    if (weightNorms == null) {
      weightNorms = Criterion.weightNorms(model.heads(), model.headWeightNorms());
    }
    return weightNorms;
  }

  /**
   * Iterative selection with {@code options}' step, normalisation and per-layer minimum: prune
   * {@code step} of the heads at a time, re-scoring the model with the heads pruned so far gated
   * off; scores are normalised over the remaining heads.
   */
  static List<HeadRef> iterative(
      Criterion criterion,
      int seed,
      double sparsity,
      double alpha,
      ScoreTable first,
      Function<Set<HeadRef>, RawScores> rescore,
      PruneOptions options,
      ToDoubleFunction<HeadRef> norms) {
    int total = first.heads().size();
    int wanted = HeadSelector.count(sparsity, total);
    Set<HeadRef> pruned = new TreeSet<>();
    ScoreTable table = first;
    for (double reached = options.step(); pruned.size() < wanted; reached += options.step()) {
      int target =
          reached >= sparsity - 1e-9
              ? wanted
              : Math.min(wanted, HeadSelector.count(reached, total));
      if (!pruned.isEmpty()) {
        table = ScoreTable.of(rescore.apply(pruned), alpha, options.normalization(), pruned);
      }
      List<HeadRef> remaining = table.heads().stream().map(HeadScore::ref).toList();
      List<HeadRef> more =
          HeadSelector.selectCount(
              remaining,
              criterion.scores(table, norms, seed),
              target - pruned.size(),
              options.minHeadsPerLayer());
      if (more.isEmpty() && target == wanted) {
        break; // every layer is down to minHeadsPerLayer
      }
      pruned.addAll(more);
    }
    return List.copyOf(pruned);
  }
}
