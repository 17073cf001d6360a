package io.headprune.pruning;

import io.headprune.progress.Phase;
import io.headprune.pruning.PruneReport.TargetChoice;
import io.headprune.scoring.Metric;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;

/**
 * The sparsity a job prunes to: the one given, or the largest on a grid whose mean metric stays
 * within a budget of the unpruned model's, found by bisection (about log₂ of the grid's points
 * measured, not all of them).
 */
final class TargetSearch {

  /** Grid points measured past a boundary the bisection found, in case the metric recovers. */
  static final int LOOK_PAST = 2;

  private TargetSearch() {}

  /**
   * The measurement the search asks for: the seeds' mean metric at a sparsity (its selections
   * evaluated), with {@code report} hearing the measurement's progress in units of {@code cells}.
   */
  interface MeanAt {
    double mean(double sparsity, Measuring report);
  }

  /** Progress within one measurement: {@code step} of {@code steps} units done. */
  interface Measuring {
    void report(long step, long steps);
  }

  /**
   * The target of {@code options}: its given sparsity, or its metric budget searched on its grid.
   * Grid points at the requested sparsities are known for free when the grid rows measured the
   * artifact's criterion there ({@code gridRowsMeasured}).
   *
   * @param dense the unpruned model's metric on the evaluation data
   * @param seeds seeds whose mean each measurement is
   */
  static TargetChoice choose(
      PruneOptions options,
      Metric metric,
      double dense,
      int seeds,
      MeanAt meanAt,
      RunProgress account) {
    if (options.target() instanceof PruneOptions.Target.Sparsity given) {
      return new TargetChoice(
          "sparsity", given.value(), null, null, "sparsity given by the request");
    }
    PruneOptions.Target.MetricBudget target = (PruneOptions.Target.MetricBudget) options.target();
    List<Double> grid = Pruner.grid(target.step());
    Map<Integer, Double> means = new TreeMap<>();
    long planned = (long) (bisectionSteps(grid.size()) + LOOK_PAST) * seeds;
    IntPredicate within =
        i -> {
          double mean =
              means.computeIfAbsent(
                  i,
                  at -> {
                    long done = (long) means.size() * seeds;
                    account.reports().report(Phase.TARGET, Math.min(done, planned - 1), planned);
                    return meanAt.mean(
                        grid.get(at),
                        (step, steps) ->
                            account
                                .reports()
                                .report(Phase.TARGET, Math.min(done + step, planned - 1), planned));
                  });
          return metric.worsening(dense, mean) <= target.maxMetricDrop() + 1e-12;
        };
    List<Integer> known = new ArrayList<>();
    if (options.criteria().contains(options.criterion())) {
      for (int i = 0; i < grid.size(); i++) {
        if (options.sparsities().contains(grid.get(i))) {
          known.add(i);
        }
      }
    }
    int best = largestWithinBySearch(grid.size(), within, known);
    double chosen = best < 0 ? 0 : grid.get(best);
    double chosenMean = best < 0 ? dense : means.get(best);
    String reason =
        String.format(
            Locale.ROOT,
            "largest sparsity on a %.2f grid whose mean %s over %d seed(s) (%.4f) stays within %.4f"
                + " of the unpruned %.4f, found by bisection (%d of %d grid points measured, %d of"
                + " them by the grid rows)",
            target.step(),
            metric.id(),
            seeds,
            chosenMean,
            target.maxMetricDrop(),
            dense,
            means.size(),
            grid.size(),
            known.stream().filter(means::containsKey).count());
    return new TargetChoice("maxMetricDrop", chosen, target.maxMetricDrop(), chosenMean, reason);
  }

  /** The points a bisection over {@code points} measures at most: ⌈log₂(points + 1)⌉. */
  static int bisectionSteps(int points) {
    return 32 - Integer.numberOfLeadingZeros(points);
  }

  /**
   * The largest index in [0, {@code points}) for which {@code within} holds, or −1, found by
   * bisection — the metric worsens as sparsity grows, so about log₂(points) measurements — then the
   * {@link #LOOK_PAST} points past the boundary are measured too: when one of them is within (a
   * metric that recovers a little), the search goes on above it. Each point is asked once.
   */
  static int largestWithinBySearch(int points, IntPredicate within) {
    return largestWithinBySearch(points, within, List.of());
  }

  /**
   * As above, asking first the points of {@code known} (already measured, so free): the largest of
   * them within and the first not within above it bracket the bisection.
   */
  static int largestWithinBySearch(int points, IntPredicate within, Collection<Integer> known) {
    Map<Integer, Boolean> asked = new HashMap<>();
    IntPredicate once = i -> asked.computeIfAbsent(i, at -> within.test(at));
    int low = -1; // within (−1: the dense model, within by definition)
    int high = points; // not within (points: past the grid)
    List<Integer> free = known.stream().filter(i -> i >= 0 && i < points).sorted().toList();
    for (int i : free) {
      if (once.test(i)) {
        low = i;
      }
    }
    for (int i : free) {
      if (i > low && !once.test(i)) {
        high = i;
        break;
      }
    }
    while (true) {
      while (high - low > 1) {
        int middle = (low + high) >>> 1;
        if (once.test(middle)) {
          low = middle;
        } else {
          high = middle;
        }
      }
      int recovered = -1;
      for (int i = low + 1; i <= Math.min(points - 1, low + LOOK_PAST); i++) {
        if (once.test(i)) {
          recovered = i;
        }
      }
      if (recovered < 0) {
        return low;
      }
      low = recovered;
      high = points;
    }
  }
}
