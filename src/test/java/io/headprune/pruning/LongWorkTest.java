package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.Example;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.model.Models;
import io.headprune.progress.Progress;
import io.headprune.progress.RunStopped;
import io.headprune.progress.StopToken;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.Inputs;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every long loop of a run reports progress, after which the engine checks its stop token: where a
 * worker stops for cancellation and shutdown: reading, the unpruned pass, the α grid, the target
 * grid, evaluation, writing. Inputs are bounded: oversized files are sampled, over-long texts
 * clipped before tokenising.
 */
class LongWorkTest {

  private static final Path MODEL = Fixtures.tinyBert();

  @ParameterizedTest
  @ValueSource(strings = {"load", "dense", "score", "alpha", "target", "evaluate", "write"})
  void everyPhaseReportsProgressAndCanBeStoppedThere(String phase, @TempDir Path out) {
    PruneOptions options =
        TestOptions.small()
            .criteria(List.of(Criterion.HIES, Criterion.HIS))
            .sparsities(List.of(0.25))
            .target(new PruneOptions.Target.MetricBudget(0.5, 0.25))
            .alpha(new Alpha.Auto(Alpha.Rule.DIVERGENCE))
            .calibrationSize(32)
            .build();
    StopToken token = new StopToken();
    List<String> after = new ArrayList<>(); // reports heard once the stop was asked
    Progress stopping =
        (name, done, total) -> {
          if (token.reason().isPresent()) {
            after.add(name.id());
          } else if (name.id().equals(phase)) {
            token.stop(StopToken.Reason.CANCELLED); // asked, not thrown: the engine stops
          }
        };
    assertThatThrownBy(
            () ->
                Pruner.prune(
                    PruneRequest.of(MODEL, MODEL.resolve("calib.jsonl"), null, options)
                        .writingTo(out.resolve("run"))
                        .reporting(stopping)
                        .stoppedBy(token)))
        .isInstanceOfSatisfying(
            RunStopped.class,
            stopped -> assertThat(stopped.reason()).isEqualTo(StopToken.Reason.CANCELLED));
    assertThat(after).as("reports after the stop in " + phase).isEmpty();
    assertThat(out.resolve("run/pruned")).doesNotExist();
  }

  @Test
  void anOversizedFileIsSampledInFileOrderTheSameWayEveryTime() {
    try (Checkpoint checkpoint = Models.open(MODEL);
        Inputs inputs = Inputs.open(checkpoint, 64)) {
      List<Encoded> all = inputs.read(MODEL.resolve("calib.jsonl"));
      List<Encoded> sample =
          inputs.read(
              MODEL.resolve("calib.jsonl"), DatasetReader.Limits.DEFAULT, 10, Progress.NONE);
      assertThat(inputs.rowsRead()).isEqualTo(256);
      assertThat(sample).hasSize(10);
      List<Encoded> again =
          inputs.read(
              MODEL.resolve("calib.jsonl"), DatasetReader.Limits.DEFAULT, 10, Progress.NONE);
      for (int i = 0; i < 10; i++) {
        long[] ids = sample.get(i).tokens().ids();
        assertThat(again.get(i).tokens().ids()).isEqualTo(ids);
        assertThat(all.stream().anyMatch(e -> Arrays.equals(e.tokens().ids(), ids))).isTrue();
      }
    }
  }

  @Test
  void aMegabyteTextIsClippedBeforeTokenisingWithTheSameTokens() {
    try (TextTokenizer tokenizer = TextTokenizer.open(MODEL, 64)) {
      String text = "the cat saw the dog ".repeat(50_000); // 1,000,000 characters
      Encoded clipped = Encoded.of(tokenizer, List.of(new Example(text, null, null))).get(0);
      assertThat(tokenizer.maxCharacters()).isEqualTo(64 * 64);
      assertThat(clipped.tokens().ids())
          .isEqualTo(tokenizer.encode(text.substring(0, 2000), null).ids());
      assertThat(clipped.length()).isEqualTo(64);
    }
  }
}
