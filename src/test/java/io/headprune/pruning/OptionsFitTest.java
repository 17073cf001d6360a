package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.checkpoint.ModelConfig;
import io.headprune.model.Models;
import io.headprune.problem.InvalidInputException;
import io.headprune.scoring.Metric;
import io.headprune.support.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * The one check that options fit a model ({@link Pruner#checkFits}), which submission makes for an
 * uploaded model and the worker for a Hub model: the model's figures in every refusal.
 */
class OptionsFitTest {

  // 3 layers of 6 heads, 3 labels; its pruned checkpoint records pruned_heads
  private static final ModelConfig BERT =
      Models.config(Fixtures.resource("fixtures/random-bert-3x6"));
  private static final ModelConfig GROUPED =
      Models.config(Fixtures.resource("fixtures/tiny-llama-gqa"));

  @Test
  void optionsWithinTheModelFit() {
    assertThatCode(
            () ->
                Pruner.checkFits(
                    PruneOptions.defaults().toBuilder().minHeadsPerLayer(6).build(), BERT))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                Pruner.checkFits(
                    PruneOptions.defaults().toBuilder()
                        .selection(new PruneOptions.Selection.UniformGroups(false))
                        .build(),
                    GROUPED))
        .doesNotThrowAnyException();
  }

  @Test
  void moreHeadsKeptThanTheSmallestLayerHasIsRefused() {
    assertThatThrownBy(
            () ->
                Pruner.checkFits(
                    PruneOptions.defaults().toBuilder().minHeadsPerLayer(7).build(), BERT))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("minHeadsPerLayer 7 is more than the 6 heads of this model's smallest layer");
  }

  @Test
  void uniformGroupsOfAModelThatRecordsPrunedHeadsAreRefused() {
    assertThatThrownBy(
            () ->
                Pruner.checkFits(
                    PruneOptions.defaults().toBuilder()
                        .selection(new PruneOptions.Selection.UniformGroups(false))
                        .build(),
                    BERT))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("this model records pruned_heads instead");
  }

  @Test
  void aClassifiersMetricMustSuitItsLabels() {
    assertThatThrownBy(
            () ->
                Pruner.checkFits(
                    PruneOptions.defaults().toBuilder().metric(Metric.F1).build(), BERT))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("metric f1 needs a binary task; the model has 3 labels");
    assertThatThrownBy(
            () ->
                Pruner.checkFits(
                    PruneOptions.defaults().toBuilder().metric(Metric.PERPLEXITY).build(), BERT))
        .hasMessageContaining("applies to causal language models only");
    // a language model's metric depends on its evaluation data, known on the worker
    assertThatCode(
            () ->
                Pruner.checkFits(
                    PruneOptions.defaults().toBuilder().metric(Metric.PERPLEXITY).build(), GROUPED))
        .doesNotThrowAnyException();
  }
}
