package io.headprune.pruning;

import io.headprune.problem.InvalidInputException;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Metric;
import io.headprune.scoring.Normalization;
import java.util.List;

/**
 * Everything a pruning run can be told (ARCHITECTURE.md §3, §5, §6).
 *
 * @param criteria criteria evaluated side by side
 * @param criterion the criterion the artifact is pruned with
 * @param sparsities sparsities every criterion is evaluated at
 * @param target the sparsity of the artifact, given or chosen by a metric budget
 * @param alpha HIES weight: fixed, or chosen per sparsity by a rule
 * @param normalization min–max over the model or within each layer
 * @param seeds number of seeds (0 … seeds − 1)
 * @param calibrationSize examples drawn per seed, or null for the whole pool
 * @param maxLength token limit per example
 * @param batchSize examples per forward/backward pass
 * @param minHeadsPerLayer heads every layer keeps
 * @param metric task metric, or null for the task's default
 * @param validationFraction share of the pool held out for automatic α
 * @param evaluationFraction share of the pool held out when no evaluation set is given
 * @param measureLatency whether to time the dense and the pruned model
 * @param iterative re-score after each {@code step} of sparsity instead of selecting in one shot
 * @param step sparsity pruned per iterative step
 * @param uniformGroups remove whole key/value groups, the same number in every layer (§3.8)
 * @param loadableByV5 with uniform groups, keep hidden_size divisible by the query heads left
 */
public record PruneOptions(
    List<Criterion> criteria,
    Criterion criterion,
    List<Double> sparsities,
    Target target,
    Alpha alpha,
    Normalization normalization,
    int seeds,
    Integer calibrationSize,
    int maxLength,
    int batchSize,
    int minHeadsPerLayer,
    Metric metric,
    double validationFraction,
    double evaluationFraction,
    boolean measureLatency,
    boolean iterative,
    double step,
    boolean uniformGroups,
    boolean loadableByV5) {

  /** Most seeds a run takes (the API and the command line alike). */
  public static final int MAX_SEEDS = 20;

  /** Grid of α tried when α is automatic. */
  public static final double[] ALPHA_GRID = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};

  /**
   * The artifact's sparsity: given, or the largest on a grid of {@code step} whose mean metric
   * stays within {@code maxMetricDrop} of the unpruned model's.
   */
  public record Target(Double sparsity, Double maxMetricDrop, double step) {

    public Target {
      if ((sparsity == null) == (maxMetricDrop == null)) {
        throw new InvalidInputException("target needs exactly one of sparsity and maxMetricDrop");
      }
      if (sparsity != null && !(sparsity >= 0 && sparsity < 1)) {
        throw new InvalidInputException("target sparsity " + sparsity + " is outside [0, 1)");
      }
      if (maxMetricDrop != null && !(maxMetricDrop >= 0 && maxMetricDrop <= 1)) {
        throw new InvalidInputException("maxMetricDrop " + maxMetricDrop + " is outside [0, 1]");
      }
      if (!(step > 0 && step < 1)) {
        throw new InvalidInputException("target step " + step + " is outside (0, 1)");
      }
    }

    /** A fixed target sparsity. */
    public static Target sparsity(double sparsity) {
      return new Target(sparsity, null, 0.05);
    }
  }

  public PruneOptions {
    criteria = List.copyOf(criteria);
    sparsities = List.copyOf(sparsities);
    if (criteria.isEmpty()) {
      throw new InvalidInputException("criteria must name at least one criterion");
    }
    for (double sparsity : sparsities) {
      if (!(sparsity >= 0 && sparsity < 1)) {
        throw new InvalidInputException("sparsity " + sparsity + " is outside [0, 1)");
      }
    }
    if (alpha == null) {
      throw new InvalidInputException("alpha is required: a number in [0, 1] or auto");
    }
    if (seeds < 1 || seeds > MAX_SEEDS) {
      throw new InvalidInputException("seeds " + seeds + " is outside [1, " + MAX_SEEDS + "]");
    }
    if (calibrationSize != null && calibrationSize < 1) {
      throw new InvalidInputException("calibrationSize " + calibrationSize + " must be at least 1");
    }
    if (maxLength < 2 || maxLength > 8192) {
      throw new InvalidInputException("maxLength " + maxLength + " is outside [2, 8192]");
    }
    if (batchSize < 1 || batchSize > 1024) {
      throw new InvalidInputException("batchSize " + batchSize + " is outside [1, 1024]");
    }
    if (!(step > 0 && step < 1)) {
      throw new InvalidInputException("step " + step + " is outside (0, 1)");
    }
    if (uniformGroups && iterative) {
      throw new InvalidInputException("selection is either iterative or uniform-groups, not both");
    }
    if (loadableByV5 && !uniformGroups) {
      throw new InvalidInputException("keepLoadableBy applies to uniform-groups selection only");
    }
    if (minHeadsPerLayer < 0) {
      throw new InvalidInputException(
          "minHeadsPerLayer " + minHeadsPerLayer + " must be non-negative");
    }
  }

  /**
   * {@code "auto"} (chosen by {@code by}: divergence, the default, or metric) or a number in [0,
   * 1].
   */
  public static Alpha parseAlpha(String text, String by) {
    return Alpha.parse(text, by);
  }

  /** The fixed α, or null when α is automatic. */
  public Double fixedAlpha() {
    return alpha instanceof Alpha.Fixed fixed ? fixed.value() : null;
  }

  /** Defaults of the command line: one seed, the whole pool, α = 0.5, hies at {@code sparsity}. */
  public static PruneOptions cli(double sparsity) {
    return new PruneOptions(
        List.of(Criterion.HIES),
        Criterion.HIES,
        List.of(sparsity),
        Target.sparsity(sparsity),
        new Alpha.Fixed(0.5),
        Normalization.GLOBAL,
        1,
        null,
        128,
        16,
        1,
        null,
        0.2,
        0.3,
        true,
        false,
        0.1,
        false,
        false);
  }
}
