package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Progress;
import io.headprune.pruning.PruneReport.AlphaTrial;
import io.headprune.scoring.Divergence;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.Inputs;
import io.headprune.scoring.Metric;
import io.headprune.scoring.ModelRunner;
import io.headprune.support.Fixtures;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The KL divergence as defined, and the α grid's choice by it (ties to the larger α). */
class AlphaChoiceTest {

  @Test
  void klIsComputedAsDefined() {
    // softmax([0, ln 3]) = (1/4, 3/4), softmax([0, 0]) = (1/2, 1/2):
    // KL = 1/4 · ln(1/2) + 3/4 · ln(3/2) = 0.1308120…
    double expected = 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5);
    assertThat(Divergence.kl(new float[] {0, (float) Math.log(3)}, new float[] {0, 0}))
        .isCloseTo(expected, within(1e-7));
    assertThat(expected).isCloseTo(0.130812, within(1e-6));
    // shifting logits changes no distribution; identical distributions are 0
    assertThat(Divergence.kl(new float[] {1, 2, 3}, new float[] {11, 12, 13}))
        .isCloseTo(0, within(1e-12));
    // not symmetric: KL(q ‖ p) = 1/2 ln 2 + 1/2 ln(2/3) = 0.1438410…
    assertThat(Divergence.kl(new float[] {0, 0}, new float[] {0, (float) Math.log(3)}))
        .isCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2.0 / 3), within(1e-7));
  }

  private static double best(List<AlphaTrial> trials, Alpha.Rule rule, Metric metric) {
    return AlphaSearch.best(AlphaSearch.withinNoise(trials, rule, metric), rule, metric);
  }

  @Test
  void withoutNoiseTheGridTakesTheLowestDivergenceAndTiesGoToTheLargerAlpha() {
    // no standard error (one seed) and equal Jaccard: the best mean alone, ties to the larger α
    List<AlphaTrial> trials =
        List.of(
            new AlphaTrial(0.0, 0.30, 0, 1),
            new AlphaTrial(0.1, 0.10, 0, 1),
            new AlphaTrial(0.2, 0.10, 0, 1),
            new AlphaTrial(0.3, 0.20, 0, 1),
            new AlphaTrial(0.4, Double.NaN, 0, 1));
    assertThat(best(trials, Alpha.Rule.DIVERGENCE, Metric.ACCURACY)).isEqualTo(0.2);
    // the metric rule: the highest accuracy, ties to the larger α too
    assertThat(best(trials, Alpha.Rule.METRIC, Metric.ACCURACY)).isEqualTo(0.0);
    List<AlphaTrial> tied =
        List.of(
            new AlphaTrial(0.5, 0.9, 0, 1),
            new AlphaTrial(0.6, 0.9, 0, 1),
            new AlphaTrial(0.7, 0.8, 0, 1));
    assertThat(best(tied, Alpha.Rule.METRIC, Metric.ACCURACY)).isEqualTo(0.6);
    // perplexity: lower is better
    assertThat(best(tied, Alpha.Rule.METRIC, Metric.PERPLEXITY)).isEqualTo(0.7);
    assertThatThrownBy(
            () ->
                best(
                    List.of(new AlphaTrial(0.5, Double.NaN, 0, 1)),
                    Alpha.Rule.DIVERGENCE,
                    Metric.ACCURACY))
        .isInstanceOf(InvalidInputException.class);
  }

  @Test
  void ofTheAlphasWithinOneStandardErrorOfTheLowestDivergenceTheMostStableWins() {
    List<AlphaTrial> trials =
        List.of(
            new AlphaTrial(0.4, 0.125, 0.02, 0.95), // 0.025 above the lowest: outside the noise
            new AlphaTrial(0.5, 0.11, 0.02, 0.81),
            new AlphaTrial(0.6, 0.115, 0.02, 0.81), // as stable as 0.5, higher divergence
            new AlphaTrial(1.0, 0.10, 0.02, 0.64)); // the lowest divergence, the least stable
    List<AlphaTrial> flagged =
        AlphaSearch.withinNoise(trials, Alpha.Rule.DIVERGENCE, Metric.ACCURACY);
    assertThat(flagged)
        .extracting(AlphaTrial::withinNoise)
        .containsExactly(false, true, true, true);
    assertThat(AlphaSearch.best(flagged, Alpha.Rule.DIVERGENCE, Metric.ACCURACY)).isEqualTo(0.5);
    // by metric: accuracy within one standard error (0.01) of the best 0.90
    List<AlphaTrial> accuracy =
        List.of(
            new AlphaTrial(0.3, 0.885, 0.01, 0.9),
            new AlphaTrial(0.5, 0.895, 0.01, 0.8),
            new AlphaTrial(1.0, 0.90, 0.01, 0.6));
    assertThat(best(accuracy, Alpha.Rule.METRIC, Metric.ACCURACY)).isEqualTo(0.5);
  }

  @Test
  void aModelsDivergenceIsZeroUnprunedAndTheMeanOfItsExamplesPruned() {
    try (Checkpoint checkpoint = Models.open(Fixtures.tinyBert());
        HeadModel model = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 64)) {
      List<Encoded> examples =
          inputs.read(
              Fixtures.tinyBert().resolve("eval.jsonl"),
              DatasetReader.Limits.DEFAULT,
              40,
              Progress.NONE);
      Divergence.Reference reference = Divergence.reference(model, examples, 16, Progress.NONE);
      assertThat(Divergence.mean(model, reference, Set.of(), 7, Progress.NONE))
          .isCloseTo(0, within(1e-6));
      Set<HeadRef> off = Set.of(new HeadRef(0, 1), new HeadRef(2, 0), new HeadRef(3, 3));
      float[][] dense = ModelRunner.logits(model, examples, Set.of(), 5, Progress.NONE);
      float[][] pruned = ModelRunner.logits(model, examples, off, 5, Progress.NONE);
      double sum = 0;
      for (int i = 0; i < examples.size(); i++) {
        sum += Divergence.kl(dense[i], pruned[i]);
      }
      assertThat(Divergence.mean(model, reference, off, 16, Progress.NONE))
          .isPositive()
          .isCloseTo(sum / examples.size(), within(1e-6));
    }
  }
}
