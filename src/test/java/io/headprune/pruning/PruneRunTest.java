package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.headprune.progress.Progress;
import io.headprune.pruning.PruneReport.EvaluationRow;
import io.headprune.pruning.PruneReport.SummaryRow;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.Metric;
import io.headprune.scoring.Splits;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyBert;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seeds, splits, criteria side by side, summaries and targets of a pruning run (§3.9, §3.10). */
class PruneRunTest {

  private static final Path MODEL = Fixtures.tinyBert();
  private static PruneReport report;

  private static PruneOptions options(int seeds, Alpha alpha, PruneOptions.Target target) {
    return TestOptions.small()
        .criteria(List.of(Criterion.HIES, Criterion.HIS, Criterion.RANDOM))
        .sparsities(List.of(0.25, 0.5))
        .target(target)
        .alpha(alpha)
        .seeds(seeds)
        .calibrationSize(24)
        .build();
  }

  private static PruneReport run(PruneOptions options) {
    return Pruner.prune(PruneRequest.of(MODEL, MODEL.resolve("calib.jsonl"), null, options))
        .report();
  }

  @BeforeAll
  static void runOnce() {
    report = run(options(3, new Alpha.Fixed(0.5), PruneOptions.Target.sparsity(0.25)));
  }

  @Test
  void splitsAreDisjointDeterministicAndSeedsDrawDifferentSamples() {
    Splits splits = Splits.of(256, 0.2, 0.3);
    Set<Integer> all = new HashSet<>(splits.calibration());
    all.addAll(splits.validation());
    all.addAll(splits.evaluation());
    assertThat(all).hasSize(256);
    assertThat(
            splits.calibration().size() + splits.validation().size() + splits.evaluation().size())
        .isEqualTo(256);
    assertThat(Splits.of(256, 0.2, 0.3)).isEqualTo(splits);
    assertThat(splits.sample(32, 7)).isEqualTo(splits.sample(32, 7)).hasSize(32);
    assertThat(splits.sample(32, 7)).isNotEqualTo(splits.sample(32, 8));
    assertThat(splits.calibration()).containsAll(splits.sample(32, 8));
    assertThat(splits.sample(10_000, 1)).isEqualTo(splits.calibration());
  }

  @Test
  void theSameOptionsGiveTheSameReport() {
    PruneReport again = run(options(3, new Alpha.Fixed(0.5), PruneOptions.Target.sparsity(0.25)));
    assertThat(again.evaluations())
        .usingRecursiveFieldByFieldElementComparator()
        .isEqualTo(report.evaluations());
    assertThat(again.summary()).isEqualTo(report.summary());
    assertThat(again.artifact().prunedHeads()).isDeepEqualTo(report.artifact().prunedHeads());
  }

  @Test
  void everyCriterionIsEvaluatedAtEverySparsityForEverySeedAndRandomDiffersAcrossSeeds() {
    assertThat(report.evaluations()).hasSize(3 * 2 * 3);
    assertThat(report.data().evaluationSource()).contains("held-out");
    assertThat(report.data().evaluation()).isEqualTo(77); // round(0.3 × 256)
    assertThat(report.data().calibrationPerSeed()).isEqualTo(24);
    List<String> randomSets =
        report.evaluations().stream()
            .filter(r -> r.criterion().equals("random") && r.sparsity() == 0.5)
            .map(r -> Arrays.deepToString(r.prunedHeads()))
            .toList();
    assertThat(new HashSet<>(randomSets)).hasSizeGreaterThan(1);
  }

  @Test
  void summaryStdAndJaccardMatchAnIndependentRecomputation() {
    for (SummaryRow row : report.summary()) {
      List<EvaluationRow> rows =
          report.evaluations().stream()
              .filter(r -> r.criterion().equals(row.criterion()) && r.sparsity() == row.sparsity())
              .toList();
      assertThat(rows).hasSize(3);
      double mean = rows.stream().mapToDouble(EvaluationRow::value).sum() / 3;
      double variance =
          rows.stream().mapToDouble(r -> (r.value() - mean) * (r.value() - mean)).sum() / 2;
      assertThat(row.mean()).isCloseTo(mean, within(1e-12));
      assertThat(row.std()).isCloseTo(Math.sqrt(variance), within(1e-12));
      double jaccard = 0;
      for (int[] pair : new int[][] {{0, 1}, {0, 2}, {1, 2}}) {
        Set<String> a = heads(rows.get(pair[0]));
        Set<String> b = heads(rows.get(pair[1]));
        Set<String> union = new HashSet<>(a);
        union.addAll(b);
        Set<String> both = new HashSet<>(a);
        both.retainAll(b);
        jaccard += (double) both.size() / union.size();
      }
      assertThat(row.jaccardMean()).isCloseTo(jaccard / 3, within(1e-12));
      assertThat(row.agreementMean()).isBetween(0.0, 1.0);
    }
  }

  private static Set<String> heads(EvaluationRow row) {
    Set<String> set = new HashSet<>();
    for (int[] head : row.prunedHeads()) {
      set.add(head[0] + ":" + head[1]);
    }
    return set;
  }

  /** The bisection over {@code means} with the budget's rule. */
  private static int largestWithin(double[] means, double dense, double maxDrop, Metric metric) {
    return TargetSearch.largestWithinBySearch(
        means.length, i -> metric.worsening(dense, means[i]) <= maxDrop + 1e-12);
  }

  @Test
  void theTargetSearchMeasuresAboutLogTwoOfTheGridAndMatchesTheExhaustiveAnswer() {
    Random random = new Random(25);
    for (int trial = 0; trial < 2000; trial++) {
      int points = 1 + random.nextInt(99);
      // a metric that worsens with sparsity, with noise that can make it recover a little
      double[] means = new double[points];
      double noise = trial % 2 == 0 ? 0 : 0.01;
      for (int i = 0; i < points; i++) {
        means[i] = 0.9 - 0.5 * (i + 1) / points + noise * random.nextGaussian();
      }
      double dense = 0.9;
      double budget = random.nextDouble() * 0.4;
      Set<Integer> measured = new HashSet<>();
      int found =
          TargetSearch.largestWithinBySearch(
              points,
              i -> {
                assertThat(measured.add(i)).as("each point measured once").isTrue();
                return dense - means[i] <= budget + 1e-12;
              });
      int exhaustive = -1;
      for (int i = points - 1; i >= 0 && exhaustive < 0; i--) {
        exhaustive = dense - means[i] <= budget + 1e-12 ? i : -1;
      }
      if (noise == 0) {
        assertThat(found).isEqualTo(exhaustive);
        assertThat(measured.size())
            .isLessThanOrEqualTo(TargetSearch.bisectionSteps(points) + TargetSearch.LOOK_PAST);
      } else {
        // with noise, a qualifying point far past the boundary can be missed; one within the
        // look-past window never is
        assertThat(found).isLessThanOrEqualTo(exhaustive);
        assertThat(found).isGreaterThanOrEqualTo(-1);
        if (found >= 0) {
          assertThat(dense - means[found]).isLessThanOrEqualTo(budget + 1e-12);
        }
        for (int i = found + 1; i <= Math.min(points - 1, found + TargetSearch.LOOK_PAST); i++) {
          assertThat(dense - means[i]).isGreaterThan(budget + 1e-12);
        }
      }
    }
    assertThat(TargetSearch.bisectionSteps(57)).isEqualTo(6);
  }

  @Test
  void pointsTheGridRowsMeasuredBracketTheSearchAndSaveMeasurements() {
    Random random = new Random(26);
    int saved = 0;
    for (int trial = 0; trial < 2000; trial++) {
      int points = 1 + random.nextInt(99);
      double[] means = new double[points];
      for (int i = 0; i < points; i++) {
        means[i] = 0.9 - 0.5 * (i + 1) / points; // worsens with sparsity
      }
      double budget = random.nextDouble() * 0.4;
      List<Integer> known = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        known.add(random.nextInt(points));
      }
      Set<Integer> measured = new HashSet<>();
      IntPredicate within = i -> 0.9 - means[i] <= budget + 1e-12;
      int found =
          TargetSearch.largestWithinBySearch(
              points,
              i -> {
                assertThat(measured.add(i)).as("each point asked once").isTrue();
                return within.test(i);
              },
              known);
      assertThat(found).isEqualTo(TargetSearch.largestWithinBySearch(points, within));
      long paid = measured.stream().filter(i -> !known.contains(i)).count();
      assertThat(paid)
          .isLessThanOrEqualTo(TargetSearch.bisectionSteps(points) + TargetSearch.LOOK_PAST);
      Set<Integer> plain = new HashSet<>();
      TargetSearch.largestWithinBySearch(
          points,
          i -> {
            plain.add(i);
            return within.test(i);
          });
      saved += plain.size() - (int) paid;
    }
    assertThat(saved).as("measurements the known points saved over 2000 searches").isPositive();
    // a known point within above a known point that is not (a metric that recovers) is taken
    double[] recovering = {0.90, 0.80, 0.895, 0.70, 0.60};
    assertThat(
            TargetSearch.largestWithinBySearch(
                recovering.length, i -> 0.90 - recovering[i] <= 0.01 + 1e-12, List.of(1, 2)))
        .isEqualTo(2);
  }

  @Test
  void maxMetricDropPicksTheLargestQualifyingSparsity() {
    double[] means = {0.90, 0.89, 0.80, 0.885, 0.70};
    assertThat(largestWithin(means, 0.90, 0.02, Metric.ACCURACY))
        .isEqualTo(3); // 0.885 ≥ 0.88, though 0.80 is not
    assertThat(largestWithin(means, 0.90, 0.0, Metric.ACCURACY)).isEqualTo(0);
    assertThat(largestWithin(means, 0.95, 0.01, Metric.ACCURACY)).isEqualTo(-1);
    // perplexity: lower is better, and the budget bounds its relative rise
    double[] perplexities = {7.5, 7.6, 9.0, 7.7, 12.0};
    assertThat(largestWithin(perplexities, 7.48, 0.25, Metric.PERPLEXITY)).isEqualTo(3);
    assertThat(largestWithin(perplexities, 7.48, 0.01, Metric.PERPLEXITY)).isEqualTo(0);
    assertThat(largestWithin(perplexities, 7.48, 0.001, Metric.PERPLEXITY)).isEqualTo(-1);
    PruneReport budget =
        run(options(1, new Alpha.Fixed(0.5), new PruneOptions.Target.MetricBudget(1.0, 0.05)));
    // any metric is within 1.0 of the dense one: the largest grid point qualifies
    assertThat(budget.target().sparsity()).isEqualTo(0.95);
    assertThat(budget.target().reason()).contains("largest sparsity");
    assertThat(budget.artifact().prunedHeads().length)
        .isEqualTo(12); // 15 wanted, every layer keeps one head
  }

  @Test
  void automaticAlphaByMetricIsChosenPerSparsityOnTheValidationSplit() {
    PruneReport auto =
        run(options(1, new Alpha.Auto(Alpha.Rule.METRIC), PruneOptions.Target.sparsity(0.25)));
    assertThat(auto.alpha().auto()).isTrue();
    assertThat(auto.alpha().by()).isEqualTo("metric");
    assertThat(auto.alpha().heldOutExamples())
        .isEqualTo(51); // the validation split, round(0.2 × 256)
    assertThat(auto.data().validation()).isEqualTo(51);
    assertThat(auto.alpha().perSparsity())
        .extracting(PruneReport.AlphaAtSparsity::sparsity)
        .containsExactly(0.25, 0.5);
    for (PruneReport.AlphaAtSparsity at : auto.alpha().perSparsity()) {
      assertThat(at.grid())
          .extracting(PruneReport.AlphaTrial::alpha)
          .containsExactly(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0);
      double best =
          at.grid().stream().mapToDouble(PruneReport.AlphaTrial::mean).max().orElseThrow();
      // the best mean; of equal means, the largest α
      double largestBest =
          at.grid().stream()
              .filter(t -> t.mean() == best)
              .mapToDouble(PruneReport.AlphaTrial::alpha)
              .max()
              .orElseThrow();
      assertThat(at.alpha()).isEqualTo(largestBest);
    }
    // the artifact (sparsity 0.25) uses the α chosen for 0.25
    assertThat(auto.alpha().value()).isEqualTo(auto.alpha().perSparsity().get(0).alpha());
    assertThat(auto.alpha().explanation()).contains("51 validation examples");
    assertThat(auto.alphaComparison())
        .hasSize(2)
        .allSatisfy(
            row -> {
              SummaryRow bestOther =
                  auto.summary().stream()
                      .filter(s -> !s.criterion().equals("hies") && s.sparsity() == row.sparsity())
                      .max(Comparator.comparingDouble(SummaryRow::mean))
                      .orElseThrow();
              assertThat(row.bestFixedCriterion()).isEqualTo(bestOther.criterion());
              assertThat(row.autoAlphaMean())
                  .isEqualTo(
                      auto.summary().stream()
                          .filter(
                              s -> s.criterion().equals("hies") && s.sparsity() == row.sparsity())
                          .findFirst()
                          .orElseThrow()
                          .mean());
            });
    assertThat(report.alphaComparison()).isEmpty();
  }

  @Test
  void automaticAlphaByDivergenceUsesThePoolExamplesNoDrawUsed() {
    PruneReport auto =
        run(options(1, new Alpha.Auto(Alpha.Rule.DIVERGENCE), PruneOptions.Target.sparsity(0.5)));
    assertThat(auto.alpha().by()).isEqualTo("divergence");
    assertThat(auto.data().validation())
        .isZero(); // no split carved: 24 of 179 examples drawn, the rest held out
    // 256 − 77 evaluation − 24 drawn leave 155 held out, of which α measures on 64 (a seeded draw)
    assertThat(auto.alpha().heldOutExamples()).isEqualTo(64);
    for (PruneReport.AlphaAtSparsity at : auto.alpha().perSparsity()) {
      double lowest =
          at.grid().stream().mapToDouble(PruneReport.AlphaTrial::mean).min().orElseThrow();
      assertThat(at.grid()).allSatisfy(t -> assertThat(t.mean()).isNotNegative());
      double largestLowest =
          at.grid().stream()
              .filter(t -> t.mean() == lowest)
              .mapToDouble(PruneReport.AlphaTrial::alpha)
              .max()
              .orElseThrow();
      assertThat(at.alpha()).isEqualTo(largestLowest);
    }
    assertThat(auto.alpha().value()).isEqualTo(auto.alpha().perSparsity().get(1).alpha());
    // the summary's HIES rows are at each sparsity's own α: HIES at 0.25 equals a fixed-α run at
    // that α
    double alphaAtQuarter = auto.alpha().perSparsity().get(0).alpha();
    PruneReport fixed =
        run(options(1, new Alpha.Fixed(alphaAtQuarter), PruneOptions.Target.sparsity(0.5)));
    assertThat(
            auto.evaluations().stream()
                .filter(e -> e.criterion().equals("hies") && e.sparsity() == 0.25)
                .map(e -> Arrays.deepToString(e.prunedHeads()))
                .toList())
        .isEqualTo(
            fixed.evaluations().stream()
                .filter(e -> e.criterion().equals("hies") && e.sparsity() == 0.25)
                .map(e -> Arrays.deepToString(e.prunedHeads()))
                .toList());
  }

  @Test
  void speedupIsReportedWhenTheModelIsWritten(@TempDir Path out) {
    PruneOptions measured = TestOptions.small().measureLatency(true).build();
    PruneReport written =
        Pruner.prune(
                PruneRequest.of(
                        MODEL, MODEL.resolve("calib.jsonl"), MODEL.resolve("eval.jsonl"), measured)
                    .writingTo(out.resolve("run")))
            .report();
    assertThat(written.speedup().parametersAfter())
        .isLessThan(written.speedup().parametersBefore());
    assertThat(written.speedup().flopsRatio())
        .isCloseTo(2.0, within(1e-9)); // 8 of 16 heads gone: attention FLOPs halve
    // both models were timed and the ratio is theirs (how fast is a benchmark's question, not a
    // unit test's: bench/ measures it on a quiet machine)
    PruneReport.Speedup speedup = written.speedup();
    assertThat(speedup.latencyDenseMillis()).isPositive().isFinite();
    assertThat(speedup.latencyPrunedMillis()).isPositive().isFinite();
    assertThat(speedup.latencyRatio())
        .isCloseTo(speedup.latencyDenseMillis() / speedup.latencyPrunedMillis(), within(1e-9));
    assertThat(out.resolve("run/report.json")).exists();
  }

  @Test
  void iterativeSelectionReScoresAfterEachStep() {
    PruneOptions oneShot = TestOptions.small().build();
    PruneOptions wholeStep =
        oneShot.toBuilder().selection(new PruneOptions.Selection.Iterative(0.6)).build();
    PruneOptions steps =
        oneShot.toBuilder().selection(new PruneOptions.Selection.Iterative(0.1)).build();
    int[][] single = run(oneShot).artifact().prunedHeads();
    // one step as large as the target is one-shot selection
    assertThat(run(wholeStep).artifact().prunedHeads()).isDeepEqualTo(single);
    int[][] iterative = run(steps).artifact().prunedHeads();
    assertThat(iterative.length).isEqualTo(8);
    int[] perLayer = new int[4];
    for (int[] head : iterative) {
      perLayer[head[0]]++;
    }
    assertThat(Arrays.stream(perLayer).max().orElseThrow())
        .isLessThanOrEqualTo(3); // a head stays per layer
  }

  @Test
  void gatingHeadsOffChangesTheOtherHeadsScores() {
    try (TinyBert tiny = TinyBert.load()) {
      var sample = tiny.calibration.subList(0, 32);
      var before = HeadScorer.score(tiny.model, sample, 16, Progress.NONE);
      var after =
          HeadScorer.score(
              tiny.model, sample, 16, Set.of(new HeadRef(0, 0), new HeadRef(1, 2)), Progress.NONE);
      assertThat(after.his()[3][1]).isNotEqualTo(before.his()[3][1]);
      assertThat(after.entropy()[0][1])
          .isEqualTo(before.entropy()[0][1]); // layer 0's inputs do not change
    }
  }
}
