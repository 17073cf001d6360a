package io.headprune.pruning;

import io.headprune.pruning.PruneReport.EvaluationRow;
import io.headprune.pruning.PruneReport.SummaryRow;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.Metric;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.math3.stat.inference.TestUtils;

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
  static List<PruneReport.AlphaComparison> compare(List<SummaryRow> summary, Metric metric) {
    List<PruneReport.AlphaComparison> rows = new ArrayList<>();
    for (SummaryRow hies : summary) {
      if (!hies.criterion().equals("hies")) {
        continue;
      }
      SummaryRow best = null;
      for (SummaryRow other : summary) {
        if (!other.criterion().equals("hies")
            && !recovered(other.criterion())
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

  /** The criterion name of grid rows: {@code hies}, or {@code hies+rescale} when recovered. */
  static String rowName(String criterion, Recovery recovery) {
    return recovery == Recovery.NONE ? criterion : criterion + "+" + recovery.id();
  }

  /** Whether a grid row's criterion names a recovered model ({@code hies+rescale}). */
  static boolean recovered(String rowCriterion) {
    return rowCriterion.indexOf('+') >= 0;
  }

  /** Mean and sample standard deviation of {@code values}. */
  static PruneReport.Spread spread(double[] values) {
    double mean = mean(values);
    return new PruneReport.Spread(mean, sampleStd(values, mean), values.length);
  }

  /**
   * One sentence on rescaling: the largest mean gain (criterion, sparsity, numbers, seeds better),
   * and whether it ever lowered the mean metric, with the worst case.
   */
  static String recoveryVerdict(List<PruneReport.RecoveryRow> rows, Metric metric) {
    PruneReport.RecoveryRow best = null;
    PruneReport.RecoveryRow worst = null;
    for (PruneReport.RecoveryRow row : rows) {
      if (row.sparsity() == 0) {
        continue;
      }
      double gain = gain(row, metric);
      if (best == null || gain > gain(best, metric)) {
        best = row;
      }
      if (worst == null || gain < gain(worst, metric)) {
        worst = row;
      }
    }
    if (best == null) {
      return "Rescaling was not measured: no sparsity above 0 was evaluated.";
    }
    StringBuilder text = new StringBuilder();
    if (gain(best, metric) > 0) {
      text.append(
          String.format(
              Locale.ROOT,
              "Rescaling helped most with %s at sparsity %s: %s ± %s → %s ± %s (better on %d of %d"
                  + " seeds)",
              best.criterion(),
              ReportPage.plain(best.sparsity()),
              ReportPage.digits(metric.id(), best.plain().mean()),
              ReportPage.digits(metric.id(), best.plain().std()),
              ReportPage.digits(metric.id(), best.rescaled().mean()),
              ReportPage.digits(metric.id(), best.rescaled().std()),
              best.better(),
              best.plain().count()));
    } else {
      text.append("Rescaling improved no criterion's mean at any sparsity");
    }
    if (gain(worst, metric) < 0) {
      text.append(
          String.format(
              Locale.ROOT,
              "; it lowered the mean of %s at sparsity %s: %s → %s (worse on %d of %d seeds).",
              worst.criterion(),
              ReportPage.plain(worst.sparsity()),
              ReportPage.digits(metric.id(), worst.plain().mean()),
              ReportPage.digits(metric.id(), worst.rescaled().mean()),
              worst.worse(),
              worst.plain().count()));
    } else {
      text.append("; it never lowered the mean metric.");
    }
    return text.toString();
  }

  /** How much rescaling improved the mean, in the metric's better direction. */
  private static double gain(PruneReport.RecoveryRow row, Metric metric) {
    double difference = row.rescaled().mean() - row.plain().mean();
    return metric.higherIsBetter() ? difference : -difference;
  }

  static double mean(double[] values) {
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

  private static <T> double jaccard(Set<T> a, Set<T> b) {
    if (a.isEmpty() && b.isEmpty()) {
      return 1;
    }
    Set<T> union = new HashSet<>(a);
    union.addAll(b);
    Set<T> intersection = new HashSet<>(a);
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

  /** Mean Jaccard of the head sets of {@code bySeed} over seed pairs; 1 for a single seed. */
  static double jaccardWithin(List<List<HeadRef>> bySeed) {
    if (bySeed.size() < 2) {
      return 1;
    }
    double sum = 0;
    int pairs = 0;
    for (int i = 0; i < bySeed.size(); i++) {
      for (int j = i + 1; j < bySeed.size(); j++) {
        sum += jaccard(new HashSet<>(bySeed.get(i)), new HashSet<>(bySeed.get(j)));
        pairs++;
      }
    }
    return sum / pairs;
  }

  /** Mean Jaccard between a head set of {@code a} and one of {@code b}, over every pair. */
  static double jaccardBetween(List<List<HeadRef>> a, List<List<HeadRef>> b) {
    double sum = 0;
    for (List<HeadRef> x : a) {
      for (List<HeadRef> y : b) {
        sum += jaccard(new HashSet<>(x), new HashSet<>(y));
      }
    }
    return sum / (a.size() * b.size());
  }

  /**
   * Whether the choice of calibration data mattered, in one sentence: at the sparsity where the
   * best and the worst set differ most surely (the lowest p of Welch's two-sided t-test over their
   * seeds' values; ties to the larger gap), their metrics, that p, and the Jaccard between sets
   * beside that within a set. p below 0.05 counts as mattering.
   */
  static String calibrationVerdict(
      List<PruneReport.CalibrationRow> rows,
      List<PruneReport.CalibrationOverlap> overlaps,
      Metric metric,
      int seeds) {
    Map<Double, List<PruneReport.CalibrationRow>> bySparsity = new LinkedHashMap<>();
    rows.forEach(r -> bySparsity.computeIfAbsent(r.sparsity(), k -> new ArrayList<>()).add(r));
    double chosen = Double.NaN;
    double chosenP = Double.POSITIVE_INFINITY;
    double chosenGap = -1;
    PruneReport.CalibrationRow chosenBest = null;
    PruneReport.CalibrationRow chosenWorst = null;
    for (Map.Entry<Double, List<PruneReport.CalibrationRow>> entry : bySparsity.entrySet()) {
      PruneReport.CalibrationRow best = entry.getValue().get(0);
      PruneReport.CalibrationRow worst = best;
      for (PruneReport.CalibrationRow row : entry.getValue()) {
        if (metric.better(row.mean(), best.mean())) {
          best = row;
        }
        if (metric.better(worst.mean(), row.mean())) {
          worst = row;
        }
      }
      double gap = Math.abs(best.mean() - worst.mean());
      double p = welchP(best.perSeed(), worst.perSeed());
      if (Double.isNaN(chosen) || p < chosenP || (p == chosenP && gap > chosenGap)) {
        chosen = entry.getKey();
        chosenP = p;
        chosenGap = gap;
        chosenBest = best;
        chosenWorst = worst;
      }
    }
    double sparsity = chosen;
    double between =
        overlaps.stream()
            .filter(o -> o.sparsity() == sparsity)
            .mapToDouble(PruneReport.CalibrationOverlap::jaccard)
            .average()
            .orElse(Double.NaN);
    double within =
        bySparsity.get(sparsity).stream()
            .mapToDouble(PruneReport.CalibrationRow::jaccardWithin)
            .average()
            .orElse(Double.NaN);
    String test;
    if (chosenGap == 0) {
      test = ": the choice of calibration data did not change the " + metric.id() + " here";
    } else if (seeds < 2) {
      test = "; with one seed there is no test: run several seeds to tell the data from chance";
    } else if (chosenP < 0.05) {
      test =
          String.format(
              Locale.ROOT,
              " (Welch's t-test over the seeds: p %s): the choice of calibration data matters"
                  + " for this model",
              chosenP == 0
                  ? "< 1e-300, every seed agreeing"
                  : String.format(Locale.ROOT, "= %.2g", chosenP));
    } else {
      test =
          String.format(
              Locale.ROOT,
              " (Welch's t-test over the seeds: p = %.2g), within the seeds' noise: no sign that the"
                  + " choice of calibration data changes the %s here",
              chosenP,
              metric.id());
    }
    return String.format(
        Locale.ROOT,
        "At sparsity %s the sets' selections gave %s from %.4g ± %.2g (%s) to %.4g ± %.2g (%s)%s."
            + " Their pruned heads overlap by Jaccard %.2f between sets against %.2f within a set.",
        BigDecimal.valueOf(sparsity).stripTrailingZeros().toPlainString(),
        metric.id(),
        chosenWorst.mean(),
        chosenWorst.std(),
        chosenWorst.set(),
        chosenBest.mean(),
        chosenBest.std(),
        chosenBest.set(),
        test,
        between,
        within);
  }

  /**
   * The two-sided p of Welch's t-test that {@code a} and {@code b} have equal means (commons-math);
   * 1 for equal means, 0 when neither varies and the means differ, 1 for fewer than two values.
   */
  static double welchP(double[] a, double[] b) {
    if (a.length < 2 || b.length < 2) {
      return 1;
    }
    double meanA = mean(a);
    double meanB = mean(b);
    if (meanA == meanB) {
      return 1;
    }
    if (sampleStd(a, meanA) == 0 && sampleStd(b, meanB) == 0) {
      return 0;
    }
    return TestUtils.tTest(a, b);
  }

  /**
   * A sentence when another criterion beat the artifact's at the target sparsity — at every
   * sparsity evaluated, or at the target only — with the numbers; null when none did or the target
   * was not evaluated.
   */
  static String beaten(PruneReport report) {
    Recovery recovery = Recovery.parse(report.artifact().recovery());
    String chosen = rowName(report.artifact().criterion(), recovery);
    double target = report.target().sparsity();
    Metric metric = Metric.parse(report.metric());
    SummaryRow own = null;
    SummaryRow best = null;
    for (SummaryRow row : report.summary()) {
      if (row.sparsity() != target || recovered(row.criterion()) != (recovery != Recovery.NONE)) {
        continue;
      }
      if (row.criterion().equals(chosen)) {
        own = row;
      } else if (best == null || metric.better(row.mean(), best.mean())) {
        best = row;
      }
    }
    if (own == null || best == null || !metric.better(best.mean(), own.mean())) {
      return null;
    }
    String winner = best.criterion();
    boolean everywhere = true;
    for (SummaryRow row : report.summary()) {
      if (!row.criterion().equals(chosen)) {
        continue;
      }
      SummaryRow other =
          report.summary().stream()
              .filter(r -> r.criterion().equals(winner) && r.sparsity() == row.sparsity())
              .findFirst()
              .orElse(null);
      if (other == null || !metric.better(other.mean(), row.mean())) {
        everywhere = false;
      }
    }
    return String.format(
        Locale.ROOT,
        "%s beat the chosen %s at the target sparsity %s: %s %s ± %s against %s ± %s%s.",
        winner,
        chosen,
        ReportPage.plain(target),
        report.metric(),
        ReportPage.digits(report.metric(), best.mean()),
        ReportPage.digits(report.metric(), best.std()),
        ReportPage.digits(report.metric(), own.mean()),
        ReportPage.digits(report.metric(), own.std()),
        everywhere ? ", and at every sparsity evaluated" : "");
  }
}
