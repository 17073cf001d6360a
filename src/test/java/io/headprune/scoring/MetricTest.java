package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Metrics against values computed by hand. */
class MetricTest {

  private static final double[] LABELS = {1, 1, 1, 0, 0, 0, 0, 1};
  private static final double[] PREDICTED = {1, 1, 0, 0, 0, 1, 0, 1};

  @Test
  void accuracyIsTheShareOfCorrectPredictions() {
    assertThat(Metric.ACCURACY.compute(PREDICTED, LABELS)).isEqualTo(6.0 / 8);
  }

  @Test
  void f1OfThePositiveClass() {
    // tp = 3, fp = 1, fn = 1: F1 = 2·3 / (2·3 + 1 + 1) = 0.75
    assertThat(Metric.F1.compute(PREDICTED, LABELS)).isEqualTo(0.75);
  }

  @Test
  void matthewsCorrelationForABinaryTask() {
    // tp = 3, tn = 3, fp = 1, fn = 1: (9 − 1) / sqrt(4·4·4·4) = 0.5
    assertThat(Metric.MCC.compute(PREDICTED, LABELS)).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void matthewsCorrelationIsZeroWhenItsDenominatorIs() {
    assertThat(Metric.MCC.compute(new double[] {1, 1, 1}, new double[] {0, 1, 1})).isZero();
  }

  @Test
  void pearsonOfALinearRelationIsOne() {
    assertThat(Metric.PEARSON.compute(new double[] {1, 2, 3, 4}, new double[] {2, 4, 6, 8}))
        .isCloseTo(1, within(1e-12));
    // x = (1, 2, 3), y = (1, 3, 2): cov = 1, var x = 2, var y = 2 → 0.5
    assertThat(Metric.PEARSON.compute(new double[] {1, 2, 3}, new double[] {1, 3, 2}))
        .isCloseTo(0.5, within(1e-12));
  }

  @Test
  void spearmanGivesTiesTheirAverageRank() {
    assertThat(Metric.ranks(new double[] {10, 20, 20, 30})).containsExactly(1, 2.5, 2.5, 4);
    // ranks x = (1, 2.5, 2.5, 4), y = (1, 2, 3, 4): cov = 4.5, var x = 4.5, var y = 5 → 4.5 /
    // sqrt(22.5)
    assertThat(Metric.SPEARMAN.compute(new double[] {10, 20, 20, 30}, new double[] {1, 2, 3, 4}))
        .isCloseTo(4.5 / Math.sqrt(22.5), within(1e-12));
  }

  @Test
  void multiClassMatthewsMatchesTheGorodkinFormula() {
    double[] labels = {0, 1, 2, 0, 1, 2};
    double[] predicted = {0, 2, 1, 0, 0, 2};
    // c = 3 correct, s = 6, t = (2, 2, 2), p = (3, 1, 2):
    // (3·6 − (6 + 2 + 4)) / sqrt((36 − 12)(36 − 14)) = 6 / sqrt(528)
    assertThat(Metric.MCC.compute(predicted, labels)).isCloseTo(6 / Math.sqrt(528), within(1e-12));
  }
}
