package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.progress.Progress;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyBert;
import io.headprune.support.TinyVit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Evaluating many head sets at once: sets whose gates agree on their first layers share those
 * layers' passes, and every set's logits equal those of evaluating it alone.
 */
class SharedPrefixTest {

  /** Sets on a 4-layer model; the comment under each is where it branches off. */
  private static final List<Set<HeadRef>> SETS =
      List.of(
          Set.of(), // 0: dense
          Set.of(new HeadRef(0, 1)), // 1
          Set.of(new HeadRef(0, 1), new HeadRef(2, 3)), // 2: shares layers 0-1 with 1
          Set.of(new HeadRef(0, 1), new HeadRef(2, 3), new HeadRef(3, 0)), // 3: 0-2 with 2
          Set.of(new HeadRef(1, 2)), // 4: layer 0 with the dense set
          Set.of(new HeadRef(0, 1), new HeadRef(1, 2)), // 5: layer 0 with 1
          Set.of(new HeadRef(0, 1))); // 6: the same as 1

  @Test
  void setsThatAgreeOnTheirFirstLayersShareThosePasses() {
    int[][] heads = new int[4][];
    for (int l = 0; l < 4; l++) {
      heads[l] = new int[] {0, 1, 2, 3};
    }
    // layer 0: {0, 4} {1, 2, 3, 5, 6}; layer 1: {0} {4} {1, 2, 3, 6} {5};
    // layer 2: {0} {4} {1, 6} {2, 3} {5}; layer 3: {0} {4} {1, 6} {2} {3} {5}
    assertThat(ModelRunner.Prefixes.of(heads, SETS).passes()).isEqualTo(2 + 4 + 5 + 6);
    assertThat(ModelRunner.Prefixes.of(heads, List.of(Set.of(), Set.of())).passes()).isEqualTo(4);
  }

  @Test
  void sharedRunGivesEachSetTheLogitsOfItsOwnRun() {
    try (TinyBert bert = TinyBert.load()) {
      assertThat(bert.model.stages()).isNotNull();
      assertEqualToOneByOne(bert.model, bert.evaluation);
    }
  }

  @Test
  void vitSharesItsLayersToo() {
    try (TinyVit vit = TinyVit.load()) {
      assertThat(vit.model.stages()).isNotNull();
      assertEqualToOneByOne(vit.model, vit.evaluation, threeLayers());
    }
  }

  @Test
  void familiesThatRunOnlyWholeEvaluateSetBySet() {
    Path dir = Fixtures.resource("fixtures/tiny-gpt2-cls");
    try (Checkpoint checkpoint = Models.open(dir);
        HeadModel model = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      assertThat(model.stages()).isNull();
      assertEqualToOneByOne(model, inputs.read(dir.resolve("eval.jsonl")), threeLayers());
    }
  }

  /**
   * A causal LM's head sets share their layers too: each set's perplexity and next-token
   * predictions equal those of evaluating it alone (Gemma-2's soft-caps and alternating sliding
   * windows, Qwen2's window, Llama's grouped keys and values).
   */
  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama-gqa", "tiny-qwen2-swa", "tiny-gemma2"})
  void decodersShareTheirLayersForPerplexity(String fixture) {
    Path dir = Fixtures.resource("fixtures/" + fixture);
    try (Checkpoint checkpoint = Models.open(dir);
        HeadModel model = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      assertThat(model.stages()).isNotNull();
      List<Encoded> texts = inputs.read(dir.resolve("eval.jsonl"));
      List<Set<HeadRef>> sets = threeLayers(); // 3 layers of at least 4 heads
      List<long[]> reports = new ArrayList<>();
      List<Evaluator.Outcome> shared =
          Evaluator.runAll(
              model,
              texts,
              sets,
              Metric.PERPLEXITY,
              null,
              4,
              (phase, done, total) -> reports.add(new long[] {done, total}));
      for (int s = 0; s < sets.size(); s++) {
        Evaluator.Outcome alone =
            Evaluator.run(model, texts, sets.get(s), Metric.PERPLEXITY, null, 4, Progress.NONE);
        assertThat(shared.get(s).value())
            .as("%s, set %d", fixture, s)
            .isCloseTo(alone.value(), Assertions.within(1e-6 * alone.value()));
        assertThat(shared.get(s).predictions())
            .as("%s, set %d", fixture, s)
            .isEqualTo(alone.predictions());
      }
      assertThat(shared.get(3).value()).isNotEqualTo(shared.get(0).value());
      // one layer pass per distinct prefix and batch: 2 + 4 + 6 of the 7 sets' 3 layers
      int passes = ModelRunner.Prefixes.of(model.heads(), sets).passes();
      assertThat(passes).isEqualTo(12);
      long[] last = reports.get(reports.size() - 1);
      assertThat(last[0]).isEqualTo(last[1]);
      assertThat(last[1] % passes).isZero();
    }
  }

  /** The sets on a 3-layer model: layer 3's heads moved to layer 2. */
  private static List<Set<HeadRef>> threeLayers() {
    return SETS.stream().map(SharedPrefixTest::withinThreeLayers).toList();
  }

  private static Set<HeadRef> withinThreeLayers(Set<HeadRef> set) {
    Set<HeadRef> kept = new HashSet<>();
    for (HeadRef head : set) {
      kept.add(new HeadRef(Math.min(head.layer(), 2), head.head()));
    }
    return kept;
  }

  private static void assertEqualToOneByOne(HeadModel model, List<Encoded> examples) {
    assertEqualToOneByOne(model, examples, SETS);
  }

  private static void assertEqualToOneByOne(
      HeadModel model, List<Encoded> examples, List<Set<HeadRef>> sets) {
    List<long[]> reports = new ArrayList<>();
    float[][][] shared =
        ModelRunner.logits(
            model,
            examples,
            sets,
            4,
            (phase, done, total) -> reports.add(new long[] {done, total}));
    assertThat(shared.length).isEqualTo(sets.size());
    for (int s = 0; s < sets.size(); s++) {
      float[][] alone = ModelRunner.logits(model, examples, sets.get(s), 4, Progress.NONE);
      assertThat(shared[s]).as("set %d", s).hasDimensions(alone.length, alone[0].length);
      for (int i = 0; i < alone.length; i++) {
        for (int c = 0; c < alone[i].length; c++) {
          assertThat((double) shared[s][i][c])
              .as("set %d, example %d, class %d", s, i, c)
              .isCloseTo(alone[i][c], Assertions.within(1e-6 * (1 + Math.abs(alone[i][c]))));
        }
      }
    }
    // pruning does change the logits, so the sets really differ
    assertThat(shared[3][0]).isNotEqualTo(shared[0][0]);
    // progress rises to its total
    assertThat(reports).isNotEmpty();
    for (int r = 1; r < reports.size(); r++) {
      assertThat(reports.get(r)[0]).isGreaterThanOrEqualTo(reports.get(r - 1)[0]);
    }
    long[] last = reports.get(reports.size() - 1);
    assertThat(last[0]).isEqualTo(last[1]);
  }
}
