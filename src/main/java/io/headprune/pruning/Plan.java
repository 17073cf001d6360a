package io.headprune.pruning;

import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Phase;
import io.headprune.scoring.Splits;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a pruning costs before it runs (§8): passes per phase, a pass being one example through the
 * model once (forward; in {@code score}, forward and backward). Searches count their bound: the α
 * grid at every sparsity a run may visit, the target bisection's ⌈log₂(points + 1)⌉ points plus the
 * look past the boundary. Work a run shares (identical head sets, shared prefix layers) is counted
 * in full, so a run does at most its plan.
 *
 * @param passes passes per phase, in the order the phases run
 */
public record Plan(Map<Phase, Long> passes) {

  /** A scoring pass (forward and backward, with gate gradients) in forward passes, about. */
  static final int SCORE_COST = 3;

  public Plan {
    passes = Collections.unmodifiableMap(new EnumMap<>(passes));
  }

  /** Every phase's passes. */
  public long total() {
    return passes.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The plan in forward passes: what the ETA scales by. */
  public long cost() {
    long cost = 0;
    for (Map.Entry<Phase, Long> entry : passes.entrySet()) {
      cost += cost(entry.getKey(), entry.getValue());
    }
    return cost;
  }

  /** {@code passes} of {@code phase} in forward passes. */
  static long cost(Phase phase, long passes) {
    return phase == Phase.SCORE ? passes * SCORE_COST : passes;
  }

  /** The phase with the most passes: what a request over budget should change first. */
  public Phase largest() {
    return passes.entrySet().stream()
        .max(Map.Entry.comparingByValue())
        .map(Map.Entry::getKey)
        .orElse(Phase.SCORE);
  }

  /** The request options that set a phase's passes, for the message of one over budget. */
  public static String optionsOf(Phase phase) {
    return switch (phase) {
      case SCORE -> "seeds or calibrationSize";
      case ALPHA -> "alpha (a number instead of \"auto\"), sparsities or seeds";
      case TARGET ->
          "target (a sparsity instead of a maxMetricDrop), step (a coarser grid) or seeds";
      case RECOVER -> "recovery, criteria or sparsities";
      case COMPARE -> "calibrations";
      default -> "criteria, sparsities, seeds or the evaluation dataset's size";
    };
  }

  /**
   * Refuses a plan of more than {@code maxPasses} passes ({@code headprune.jobs.max-passes}),
   * naming the phase with the most and the options that set it.
   */
  public void checkWithin(long maxPasses) {
    if (total() <= maxPasses) {
      return;
    }
    StringBuilder phases = new StringBuilder();
    passes.forEach(
        (phase, count) ->
            phases
                .append(phases.isEmpty() ? "" : ", ")
                .append(phase.id())
                .append(' ')
                .append(String.format(Locale.ROOT, "%,d", count)));
    Phase largest = largest();
    throw new InvalidInputException(
        String.format(
            Locale.ROOT,
            "the job's plan is %,d passes (%s), more than the %,d this service allows"
                + " (headprune.jobs.max-passes); most are in %s: change %s",
            total(),
            phases,
            maxPasses,
            largest.id(),
            optionsOf(largest)));
  }

  /**
   * The plan of a run of {@code options} on a calibration pool of {@code poolRows} rows, an
   * evaluation dataset of {@code evaluationRows} rows (null: a held-out part of the pool) and
   * compared calibration sets of {@code comparedRows} rows each.
   */
  public static Plan of(
      PruneOptions options, int poolRows, Integer evaluationRows, List<Integer> comparedRows) {
    int pool = Math.min(poolRows, Pruner.POOL_CAP);
    double evaluationFraction = evaluationRows == null ? options.evaluationFraction() : 0;
    long evaluationPart = Math.min(Splits.HELD_OUT_CAP, Math.round(pool * evaluationFraction));
    long validation =
        Math.min(
            Splits.HELD_OUT_CAP,
            Math.round(pool * Pruner.validationFraction(options, pool, evaluationFraction)));
    long calibrationPart = Math.max(1, pool - evaluationPart - validation);
    long perSeed =
        options.calibrationSize() == null
            ? calibrationPart
            : Math.min(options.calibrationSize(), calibrationPart);
    long evaluation =
        evaluationRows == null ? evaluationPart : Math.min(evaluationRows, Pruner.EVALUATION_CAP);
    int seeds = options.seeds();
    long cells = (long) options.criteria().size() * options.sparsities().size() * seeds;
    Map<Phase, Long> passes = new EnumMap<>(Phase.class);

    long score = seeds * perSeed;
    if (options.iterative()) {
      // every cell re-scores its seed's sample once a step below its sparsity
      for (double sparsity : options.sparsities()) {
        long rounds = Math.max(0, (long) Math.ceil(sparsity / options.step() - 1e-9) - 1);
        score += options.criteria().size() * seeds * rounds * perSeed;
      }
    }
    passes.put(Phase.SCORE, score);

    // the unpruned model on the evaluation data, the validation split and each seed's held-out set
    long heldOut =
        options.alpha() instanceof Alpha.Auto auto && auto.by() == Alpha.Rule.DIVERGENCE
            ? Math.min(
                Run.HELD_OUT_CAP,
                calibrationPart > perSeed ? calibrationPart - perSeed : validation)
            : validation;
    long dense = evaluation + validation;
    if (options.alpha() instanceof Alpha.Auto auto && auto.by() == Alpha.Rule.DIVERGENCE) {
      dense += seeds * heldOut;
    }
    passes.put(Phase.DENSE, dense);

    List<Double> grid =
        options.target() instanceof PruneOptions.Target.MetricBudget budget
            ? Pruner.grid(budget.step())
            : List.of();
    long targetPoints =
        grid.isEmpty()
            ? 0
            : Math.min(
                grid.size(), TargetSearch.bisectionSteps(grid.size()) + TargetSearch.LOOK_PAST);
    if (options.alpha() instanceof Alpha.Auto) {
      long visited = options.sparsities().size() + Math.max(1, targetPoints);
      passes.put(Phase.ALPHA, visited * PruneOptions.ALPHA_GRID.length * seeds * heldOut);
    }
    passes.put(Phase.EVALUATE, (cells + 1) * evaluation);
    if (targetPoints > 0) {
      passes.put(Phase.TARGET, targetPoints * seeds * evaluation);
    }
    if (options.recovery() == Recovery.RESCALE) {
      passes.put(Phase.RECOVER, (cells + 1) * (perSeed + evaluation));
    }
    if (!comparedRows.isEmpty()) {
      long compare = 0;
      for (int rows : comparedRows) {
        long drawn =
            Math.min(
                options.calibrationSize() == null ? Long.MAX_VALUE : options.calibrationSize(),
                Math.min(rows, Pruner.POOL_CAP));
        compare += seeds * drawn + options.sparsities().size() * seeds * evaluation;
      }
      passes.put(Phase.COMPARE, compare);
    }
    return new Plan(passes);
  }
}
