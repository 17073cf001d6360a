package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.headprune.checkpoint.Columns;
import io.headprune.checkpoint.DataSource;
import io.headprune.problem.InvalidInputException;
import io.headprune.pruning.PruneReport.CalibrationComparison;
import io.headprune.pruning.PruneReport.CalibrationOverlap;
import io.headprune.pruning.PruneReport.CalibrationRow;
import io.headprune.pruning.PruneReport.EvaluationRow;
import io.headprune.pruning.PruneReport.SummaryRow;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.Metric;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Calibration sets compared in one run (issue "Datasets as people have them", deliverable 6): each
 * set is scored on its own draws and selected and evaluated as the run's own set would be.
 */
class CalibrationComparisonTest {

  private static final Path MODEL = Fixtures.tinyBert();
  private static final DataSource CALIBRATION = DataSource.of(MODEL.resolve("calib.jsonl"));

  /** 40 other rows of the same task, as a TSV whose text column is called "sentence". */
  private static final DataSource TSV =
      new DataSource(
          Fixtures.resource("data/order.tsv"),
          "order.tsv",
          Columns.parse("text=sentence"),
          null,
          "order.tsv (40 rows)",
          null);

  private static final DataSource EVALUATION = DataSource.of(MODEL.resolve("eval.jsonl"));

  private static PruneReport report;

  private static PruneOptions options() {
    return TestOptions.small()
        .sparsities(List.of(0.25, 0.5))
        .target(PruneOptions.Target.sparsity(0.25))
        .seeds(3)
        .calibrationSize(24)
        .build();
  }

  private static PruneReport run(DataSource data, List<DataSource> compared) {
    return Pruner.prune(
            PruneRequest.of(MODEL, data, EVALUATION, options())
                .named("tiny-bert-order", new Pruner.Origin("tiny-bert-order", null, "test"))
                .comparing(compared))
        .report();
  }

  @BeforeAll
  static void runOnce() {
    report = run(CALIBRATION, List.of(CALIBRATION.labelled("calib.jsonl again"), TSV));
  }

  @Test
  void everySetHasARowPerSparsityAndEveryPairAnOverlap() {
    CalibrationComparison c = report.calibrations();
    assertThat(c.criterion()).isEqualTo("hies");
    assertThat(c.seeds()).isEqualTo(3);
    assertThat(c.sets())
        .extracting(PruneReport.CalibrationSet::name)
        .containsExactly("calibration", "calibrations[1]", "calibrations[2]");
    assertThat(c.sets())
        .extracting(PruneReport.CalibrationSet::source)
        .containsExactly("calib.jsonl", "calib.jsonl again", "order.tsv (40 rows)");
    assertThat(c.sets().get(2).pool()).isEqualTo(40);
    assertThat(c.sets()).allSatisfy(set -> assertThat(set.calibrationPerSeed()).isEqualTo(24));
    assertThat(c.rows()).hasSize(3 * 2);
    assertThat(c.overlaps()).hasSize(3 * 2);
    assertThat(c.verdict()).startsWith("At sparsity ").contains("Jaccard");
    assertThat(report.provenance()).isNull(); // no outputs were written
  }

  @Test
  void theRunsOwnSetIsTheGridsRowAndTheSameDataGivesTheSameRow() {
    for (SummaryRow summary : report.summary()) {
      CalibrationRow own = row("calibration", summary.sparsity());
      assertThat(own.mean()).isEqualTo(summary.mean());
      assertThat(own.std()).isEqualTo(summary.std());
      assertThat(own.agreementMean()).isEqualTo(summary.agreementMean());
      assertThat(own.jaccardWithin()).isCloseTo(summary.jaccardMean(), within(1e-12));
      CalibrationRow again = row("calibrations[1]", summary.sparsity());
      assertThat(again).usingRecursiveComparison().ignoringFields("set").isEqualTo(own);
    }
  }

  @Test
  void anotherSetsRowIsWhatARunCalibratedOnItGives() {
    PruneReport alone = run(TSV, List.of());
    for (SummaryRow summary : alone.summary()) {
      CalibrationRow row = row("calibrations[2]", summary.sparsity());
      assertThat(row.mean()).isEqualTo(summary.mean());
      assertThat(row.std()).isEqualTo(summary.std());
      assertThat(row.jaccardWithin()).isCloseTo(summary.jaccardMean(), within(1e-12));
    }
  }

  @Test
  void theOverlapOfTheSameDataIsTheMeanJaccardOverEveryPairOfSeeds() {
    for (double sparsity : List.of(0.25, 0.5)) {
      List<Set<String>> sets =
          report.evaluations().stream()
              .filter(r -> r.sparsity() == sparsity)
              .map(CalibrationComparisonTest::heads)
              .toList();
      assertThat(sets).hasSize(3);
      double sum = 0;
      for (Set<String> a : sets) {
        for (Set<String> b : sets) {
          Set<String> union = new HashSet<>(a);
          union.addAll(b);
          Set<String> both = new HashSet<>(a);
          both.retainAll(b);
          sum += (double) both.size() / union.size();
        }
      }
      CalibrationOverlap overlap =
          report.calibrations().overlaps().stream()
              .filter(o -> o.sparsity() == sparsity && o.b().equals("calibrations[1]"))
              .findFirst()
              .orElseThrow();
      assertThat(overlap.a()).isEqualTo("calibration");
      assertThat(overlap.jaccard()).isCloseTo(sum / 9, within(1e-12));
    }
  }

  @Test
  void comparingNeedsAnEvaluationSet() {
    assertThatThrownBy(
            () -> PruneRequest.of(MODEL, CALIBRATION, null, options()).comparing(List.of(TSV)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("needs an evaluation set");
  }

  @Test
  void jaccardWithinAndBetweenByHand() {
    HeadRef a = new HeadRef(0, 0);
    HeadRef b = new HeadRef(0, 1);
    HeadRef c = new HeadRef(1, 0);
    // {a,b} vs {b,c}: 1/3; {a,b} vs {a,b}: 1
    assertThat(Summaries.jaccardWithin(List.of(List.of(a, b), List.of(b, c))))
        .isCloseTo(1 / 3.0, within(1e-15));
    assertThat(Summaries.jaccardWithin(List.of(List.of(a, b)))).isEqualTo(1);
    // pairs: ({a,b},{a,b}) 1, ({a,b},{c}) 0, ({b,c},{a,b}) 1/3, ({b,c},{c}) 1/2 → 11/24
    assertThat(
            Summaries.jaccardBetween(
                List.of(List.of(a, b), List.of(b, c)), List.of(List.of(a, b), List.of(c))))
        .isCloseTo((1 + 0 + 1 / 3.0 + 0.5) / 4, within(1e-15));
  }

  @Test
  void theVerdictTestsTheGapWithWelchsTTestOverTheSeeds() {
    List<CalibrationOverlap> overlaps =
        List.of(new CalibrationOverlap(0.5, "calibration", "b", 0.4));
    CalibrationRow worse = row("b", 0.8, 0.02, 0.78, 0.80, 0.82);
    // p values from scipy.stats.ttest_ind(a, b, equal_var=False)
    String matters =
        Summaries.calibrationVerdict(
            List.of(row("calibration", 0.9, 0.01, 0.90, 0.91, 0.89), worse),
            overlaps,
            Metric.ACCURACY,
            3);
    assertThat(matters)
        .contains("accuracy from 0.8000 ± 0.020 (b) to 0.9000 ± 0.010 (calibration)")
        .contains("p = 0.0048): the choice of calibration data matters")
        .contains("Jaccard 0.40 between sets against 0.75 within a set");
    String noise =
        Summaries.calibrationVerdict(
            List.of(row("calibration", 0.81, 0.01, 0.81, 0.82, 0.80), worse),
            overlaps,
            Metric.ACCURACY,
            3);
    assertThat(noise).contains("p = 0.50), within the seeds' noise");
    assertThat(Summaries.welchP(new double[] {0.81, 0.82, 0.80}, new double[] {0.78, 0.80, 0.82}))
        .isCloseTo(0.4960553744585193, within(1e-9));
    // perplexity: lower is better, so the worse set is the higher one; one seed: no test
    String perplexity =
        Summaries.calibrationVerdict(
            List.of(row("calibration", 20, 0, 20), row("b", 30, 0, 30)),
            overlaps,
            Metric.PERPLEXITY,
            1);
    assertThat(perplexity).contains("from 30.00 ± 0.0 (b) to 20.00 ± 0.0 (calibration)");
    assertThat(perplexity).contains("with one seed there is no test");
  }

  private static CalibrationRow row(String set, double mean, double std, double... perSeed) {
    return new CalibrationRow(set, 0.5, mean, std, perSeed, 0.9, set.equals("b") ? 0.7 : 0.8);
  }

  private static CalibrationRow row(String set, double sparsity) {
    return report.calibrations().rows().stream()
        .filter(r -> r.set().equals(set) && r.sparsity() == sparsity)
        .findFirst()
        .orElseThrow();
  }

  private static Set<String> heads(EvaluationRow row) {
    Set<String> set = new HashSet<>();
    for (int[] head : row.prunedHeads()) {
      set.add(head[0] + ":" + head[1]);
    }
    return set;
  }
}
