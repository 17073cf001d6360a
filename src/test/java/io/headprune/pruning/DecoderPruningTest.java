package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.model.Batch;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Progress;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScore;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.HeadSelector;
import io.headprune.scoring.Inputs;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.Normalization;
import io.headprune.scoring.ScoreTable;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Decoder outputs (ARCHITECTURE §4): GPT-2's pruned/ (pruned_heads) and masked/, the Llama family's
 * masked/ and, for whole key/value groups, a pruned/ that is a stock config with fewer heads; each
 * reloads and gives the logits of the original model with those heads gated off. Selections equal
 * the reference's (decoder_ref.py select, with and without --uniform-groups).
 */
class DecoderPruningTest {

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"tiny-gpt2", "tiny-gpt2-cls"})
  void gpt2PrunedAndMaskedGiveTheGatedLogits(String fixture) {
    List<HeadRef> heads = golden(fixture, "select-hies-0.5");
    Path model = Fixtures.resource("fixtures/" + fixture);
    write(model, heads, PruneMode.PHYSICAL);
    write(model, heads, PruneMode.MASKED);
    assertThat(Models.config(dir.resolve("pruned")).prunedHeads()).isNotEmpty();
    float[] gated = logits(model, model, heads);
    assertThat(maxDifference(logits(dir.resolve("pruned"), model, List.of()), gated))
        .isLessThan(1e-4);
    assertThat(maxDifference(logits(dir.resolve("masked"), model, List.of()), gated))
        .isLessThan(1e-4);
  }

  @ParameterizedTest
  @MethodSource("io.headprune.support.Fixtures#groupedDecoders")
  void wholeGroupsGiveAStockConfigWithFewerHeadsAndTheGatedLogits(String fixture) {
    List<HeadRef> heads = golden(fixture, "uniform-hies-0.5");
    Path model = Fixtures.resource("fixtures/" + fixture);
    ModelConfig original = Models.config(model);
    write(model, heads, PruneMode.PHYSICAL);
    write(model, heads, PruneMode.MASKED);
    ModelConfig pruned = Models.config(dir.resolve("pruned"));
    int removedPerLayer = heads.size() / original.layers();
    int groupSize = original.attentionHeads() / original.keyValueHeads();
    assertThat(pruned.raw().has("pruned_heads")).isFalse();
    assertThat(pruned.attentionHeads()).isEqualTo(original.attentionHeads() - removedPerLayer);
    assertThat(pruned.keyValueHeads())
        .isEqualTo(original.keyValueHeads() - removedPerLayer / groupSize);
    assertThat(pruned.raw().get("head_dim").asInt()).isEqualTo(original.headSize());
    float[] gated = logits(model, model, heads);
    assertThat(maxDifference(logits(dir.resolve("pruned"), model, List.of()), gated))
        .isLessThan(1e-4);
    assertThat(maxDifference(logits(dir.resolve("masked"), model, List.of()), gated))
        .isLessThan(1e-4);
  }

  @Test
  void aGlobalSelectionOfAGroupedModelIsMaskedOnly() {
    Path model = Fixtures.resource("fixtures/tiny-llama-gqa");
    List<HeadRef> heads = golden("tiny-llama-gqa", "select-hies-0.5");
    write(model, heads, PruneMode.MASKED);
    assertThat(
            maxDifference(
                logits(dir.resolve("masked"), model, List.of()), logits(model, model, heads)))
        .isLessThan(1e-4);
    assertThatThrownBy(() -> write(model, heads, PruneMode.PHYSICAL))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("uniform-groups");
    assertThat(dir.resolve("pruned")).doesNotExist();
  }

  @ParameterizedTest
  @MethodSource("io.headprune.support.Fixtures#decoders")
  void selectionsEqualTheReferences(String fixture) {
    Path model = Fixtures.resource("fixtures/" + fixture);
    try (Checkpoint checkpoint = Models.open(model);
        HeadModel loaded = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      ScoreTable table =
          ScoreTable.of(
              HeadScorer.score(
                  loaded, inputs.read(model.resolve("calib.jsonl")), 16, Progress.NONE),
              0.5,
              Normalization.GLOBAL);
      List<HeadRef> all = table.heads().stream().map(HeadScore::ref).toList();
      assertThat(HeadSelector.select(all, Criterion.HIES.scores(table, h -> 0, 0), 0.5, 1))
          .isEqualTo(golden(fixture, "select-hies-0.5"));
      assertThat(HeadSelector.select(all, Criterion.ENTROPY.scores(table, h -> 0, 0), 0.25, 1))
          .isEqualTo(golden(fixture, "select-entropy-0.25"));
      if (loaded.config().keyValueHeads() < loaded.config().attentionHeads()) {
        int kv = loaded.config().keyValueHeads();
        for (Criterion criterion : List.of(Criterion.HIES, Criterion.HIS)) {
          assertThat(
                  HeadSelector.uniformGroups(
                      all, criterion.scores(table, h -> 0, 0), 0.5, kv, left -> true))
              .as(criterion.id())
              .isEqualTo(golden(fixture, "uniform-" + criterion.id() + "-0.5"));
        }
      }
    }
  }

  @Test
  void keepingLoadableByV5RemovesFewerGroupsWhenTheHiddenSizeWouldNotDivide() {
    // 12 query heads in 4 groups of 3, hidden 48: removing 2 groups leaves 6 (48 % 6 = 0), 3 leave
    // 3 (fine), but with hidden 40 neither 6 nor 9 divides and no group may go
    List<HeadRef> heads = new ArrayList<>();
    double[] scores = new double[12];
    for (int h = 0; h < 12; h++) {
      heads.add(new HeadRef(0, h));
      scores[h] = h;
    }
    assertThat(HeadSelector.uniformGroups(heads, scores, 0.5, 4, left -> 48 % left == 0))
        .hasSize(6);
    assertThat(HeadSelector.uniformGroups(heads, scores, 0.5, 4, left -> 40 % left == 0)).isEmpty();
    assertThat(HeadSelector.uniformGroups(heads, scores, 0.5, 4, left -> true)).hasSize(6);
  }

  @Test
  void servingTargetsKeepHeadCountsVllmCanShard() {
    PruneOptions.Selection.UniformGroups targets =
        PruneOptions.Selection.UniformGroups.keepLoadableBy("v5+vllm-tp4");
    assertThat(targets.loadableByV5()).isTrue();
    assertThat(targets.tensorParallel()).isEqualTo(4);
    assertThat(PruneOptions.Selection.UniformGroups.keepLoadableBy("vllm-tp2").loadableByV5())
        .isFalse();
    assertThatThrownBy(() -> PruneOptions.Selection.UniformGroups.keepLoadableBy("vllm-tp0"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'vllm-tp0'");
    // vLLM: query heads divisible by the size; key/value heads divisible by it, or dividing it
    assertThat(PruneOptions.Selection.UniformGroups.servesWithTensorParallel(8, 2, 4)).isTrue();
    assertThat(PruneOptions.Selection.UniformGroups.servesWithTensorParallel(12, 3, 4)).isFalse();
    assertThat(PruneOptions.Selection.UniformGroups.servesWithTensorParallel(6, 6, 4)).isFalse();
    // 16 query heads in 8 groups of 2, hidden 64: at 0.5, 4 groups would go (8 heads, 4 kv left:
    // fine for tp 4); at 0.75, 6 groups would leave 4 heads / 2 kv (tp 4: 4 % 2 = 0, fine), at
    // 0.9, 7 would leave 2 heads, which tp 4 cannot shard: one group fewer goes
    List<HeadRef> heads = new ArrayList<>();
    double[] scores = new double[16];
    for (int h = 0; h < 16; h++) {
      heads.add(new HeadRef(0, h));
      scores[h] = h;
    }
    PruneOptions.Selection.UniformGroups tp4 = new PruneOptions.Selection.UniformGroups(false, 4);
    assertThat(
            HeadSelector.uniformGroups(
                heads, scores, 0.5, 8, left -> tp4.allows(64, left, left / 2, false)))
        .hasSize(8);
    assertThat(
            HeadSelector.uniformGroups(
                heads, scores, 0.9, 8, left -> tp4.allows(64, left, left / 2, false)))
        .hasSize(12);
    assertThat(HeadSelector.uniformGroups(heads, scores, 0.9, 8, left -> true)).hasSize(14);
  }

  private static List<HeadRef> golden(String fixture, String key) {
    List<HeadRef> heads = new ArrayList<>();
    for (JsonNode pair : Fixtures.json("golden/decoders.json").get(fixture).get(key)) {
      heads.add(new HeadRef(pair.get(0).asInt(), pair.get(1).asInt()));
    }
    return heads;
  }

  private void write(Path model, Collection<HeadRef> heads, PruneMode mode) {
    try (Checkpoint checkpoint = Models.open(model)) {
      CheckpointPruner.write(
          checkpoint, heads, mode, dir.resolve(mode == PruneMode.PHYSICAL ? "pruned" : "masked"));
    }
  }

  /** Every logit of the model at {@code modelDir} on the fixture's eval texts, heads gated off. */
  private static float[] logits(Path modelDir, Path fixture, Collection<HeadRef> gatedOff) {
    try (Checkpoint checkpoint = Models.open(modelDir);
        HeadModel model = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128);
        NDManager scope = model.manager().newSubManager()) {
      List<Encoded> examples = inputs.read(fixture.resolve("eval.jsonl")).subList(0, 24);
      List<TextTokenizer.Tokens> tokens = examples.stream().map(Encoded::tokens).toList();
      Batch batch = Batch.of(scope, tokens, 0);
      return model
          .forward(batch, ModelRunner.gates(scope, model.heads(), gatedOff))
          .logits()
          .toFloatArray();
    }
  }

  private static double maxDifference(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }
}
