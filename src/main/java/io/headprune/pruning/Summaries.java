package io.headprune.pruning;

import io.headprune.pruning.PruneReport.EvaluationRow;
import io.headprune.pruning.PruneReport.SummaryRow;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per criterion × sparsity: mean, sample std, mean agreement and mean pairwise Jaccard over seeds.
 */
final class Summaries {

  private Summaries() {}

  static List<SummaryRow> of(List<EvaluationRow> rows, int seeds) {
    Map<String, List<EvaluationRow>> groups = new LinkedHashMap<>();
    for (EvaluationRow row : rows) {
      groups
          .computeIfAbsent(row.criterion() + "@" + row.sparsity(), k -> new ArrayList<>())
          .add(row);
    }
    List<SummaryRow> summary = new ArrayList<>();
    for (List<EvaluationRow> group : groups.values()) {
      double[] values = group.stream().mapToDouble(EvaluationRow::value).toArray();
      double mean = mean(values);
      summary.add(
          new SummaryRow(
              group.get(0).criterion(),
              group.get(0).sparsity(),
              mean,
              sampleStd(values, mean),
              mean(group.stream().mapToDouble(EvaluationRow::agreement).toArray()),
              jaccardMean(group)));
    }
    return summary;
  }

  /** Per sparsity, HIES (at the automatic α) beside the best of the other criteria. */
  static List<PruneReport.AlphaComparison> compare(
      List<SummaryRow> summary, io.headprune.scoring.Metric metric) {
    List<PruneReport.AlphaComparison> rows = new ArrayList<>();
    for (SummaryRow hies : summary) {
      if (!hies.criterion().equals("hies")) {
        continue;
      }
      SummaryRow best = null;
      for (SummaryRow other : summary) {
        if (!other.criterion().equals("hies")
            && other.sparsity() == hies.sparsity()
            && (best == null || metric.better(other.mean(), best.mean()))) {
          best = other;
        }
      }
      rows.add(
          new PruneReport.AlphaComparison(
              hies.sparsity(),
              hies.mean(),
              hies.std(),
              best == null ? null : best.criterion(),
              best == null ? null : best.mean(),
              best == null ? null : best.std()));
    }
    return rows;
  }

  private static double mean(double[] values) {
    double sum = 0;
    for (double value : values) {
      sum += value;
    }
    return sum / values.length;
  }

  /** Sample standard deviation (n − 1); 0 for a single seed. */
  static double sampleStd(double[] values, double mean) {
    if (values.length < 2) {
      return 0;
    }
    double squares = 0;
    for (double value : values) {
      squares += (value - mean) * (value - mean);
    }
    return Math.sqrt(squares / (values.length - 1));
  }

  /** Mean Jaccard overlap of pruned-head sets over seed pairs; 1 for a single seed. */
  static double jaccardMean(List<EvaluationRow> group) {
    if (group.size() < 2) {
      return 1;
    }
    double sum = 0;
    int pairs = 0;
    for (int i = 0; i < group.size(); i++) {
      for (int j = i + 1; j < group.size(); j++) {
        sum += jaccard(set(group.get(i).prunedHeads()), set(group.get(j).prunedHeads()));
        pairs++;
      }
    }
    return sum / pairs;
  }

  private static double jaccard(Set<List<Integer>> a, Set<List<Integer>> b) {
    if (a.isEmpty() && b.isEmpty()) {
      return 1;
    }
    Set<List<Integer>> union = new HashSet<>(a);
    union.addAll(b);
    Set<List<Integer>> intersection = new HashSet<>(a);
    intersection.retainAll(b);
    return (double) intersection.size() / union.size();
  }

  private static Set<List<Integer>> set(int[][] heads) {
    Set<List<Integer>> set = new HashSet<>();
    for (int[] head : heads) {
      set.add(List.of(head[0], head[1]));
    }
    return set;
  }
}
