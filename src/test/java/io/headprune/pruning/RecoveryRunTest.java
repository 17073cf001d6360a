package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.progress.Progress;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.Inputs;
import io.headprune.scoring.ModelRunner;
import io.headprune.support.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code recovery: rescale} in a run: every cell is evaluated with and without rescaling (rows
 * {@code <criterion>+rescale}, paired by seed in the recovery report), and the artifact is written
 * rescaled — the pruned/ a user downloads gives the metric the report states, which differs from
 * the plain artifact's.
 */
class RecoveryRunTest {

  private static final Path MODEL = Fixtures.tinyBert();

  @TempDir static Path out;

  private static PruneReport plain;

  private static PruneReport rescaled;

  @BeforeAll
  static void runBoth() {
    PruneOptions options =
        TestOptions.small()
            .criteria(List.of(Criterion.HIES, Criterion.HIS))
            .sparsities(List.of(0.5, 0.75))
            .target(PruneOptions.Target.sparsity(0.75))
            .seeds(2)
            .calibrationSize(24)
            .build();
    plain = run(options, "plain");
    rescaled = run(options.toBuilder().recovery(Recovery.RESCALE).build(), "rescaled");
  }

  private static PruneReport run(PruneOptions options, String name) {
    return Pruner.prune(
            PruneRequest.of(
                    MODEL, MODEL.resolve("calib.jsonl"), MODEL.resolve("eval.jsonl"), options)
                .writingTo(out.resolve(name)))
        .report();
  }

  @Test
  void everyCellIsEvaluatedWithAndWithoutRescalingPairedBySeed() {
    assertThat(plain.recovery()).isNull();
    assertThat(plain.evaluations()).noneMatch(r -> r.criterion().contains("+"));
    assertThat(rescaled.evaluations()).hasSize(2 * plain.evaluations().size());
    for (PruneReport.EvaluationRow row : plain.evaluations()) {
      PruneReport.EvaluationRow twin =
          rescaled.evaluations().stream()
              .filter(
                  r ->
                      r.criterion().equals(row.criterion() + "+rescale")
                          && r.sparsity() == row.sparsity()
                          && r.seed() == row.seed())
              .findFirst()
              .orElseThrow();
      assertThat(twin.prunedHeads()).isEqualTo(row.prunedHeads()); // the same heads, rescaled
      assertThat(rescaled.evaluations()) // the plain rows are unchanged
          .anyMatch(
              r ->
                  r.criterion().equals(row.criterion())
                      && r.sparsity() == row.sparsity()
                      && r.seed() == row.seed()
                      && r.value() == row.value()
                      && Arrays.deepEquals(r.prunedHeads(), row.prunedHeads()));
    }
    PruneReport.RecoveryReport recovery = rescaled.recovery();
    assertThat(recovery.method()).isEqualTo("rescale");
    assertThat(recovery.rows()).hasSize(4);
    assertThat(recovery.fits()).isBetween(2, 9); // distinct (seed, head set) pairs + the artifact
    assertThat(recovery.seconds()).isPositive();
    assertThat(recovery.verdict()).startsWith("Rescaling");
    PruneReport.RecoveryRow row = recovery.rows().get(0);
    assertThat(row.better() + row.worse()).isLessThanOrEqualTo(2);
    assertThat(rescaled.summary())
        .anyMatch(s -> s.criterion().equals("hies+rescale") && s.sparsity() == 0.75);
  }

  @Test
  void theDownloadedRescaledModelGivesTheReportedMetric() throws Exception {
    PruneReport.Artifact artifact = rescaled.artifact();
    assertThat(artifact.recovery()).isEqualTo("rescale");
    assertThat(artifact.prunedHeads()).isEqualTo(plain.artifact().prunedHeads());
    assertThat(artifact.plainMetric()).isEqualTo(plain.artifact().metric());
    assertThat(artifact.scales()).isNotNull();
    assertThat(plain.artifact().recovery()).isEqualTo("none");
    assertThat(plain.artifact().plainMetric()).isNull();
    // the seeds' spread beside a rescaled artifact is that of the rescaled rows
    PruneReport.SummaryRow seeds =
        rescaled.summary().stream()
            .filter(s -> s.criterion().equals("hies+rescale") && s.sparsity() == 0.75)
            .findFirst()
            .orElseThrow();
    assertThat(artifact.seeds().mean()).isEqualTo(seeds.mean());

    Path pruned = out.resolve("rescaled/pruned");
    for (String data : List.of("eval.jsonl")) {
      Files.copy(MODEL.resolve(data), pruned.resolve(data));
    }
    double downloaded = accuracy(pruned, List.of());
    assertThat(downloaded).isCloseTo(artifact.metric(), within(1e-12));
    // and it is not the plain artifact's model: the scales are in the weights
    double[][] plainLogits = logits(out.resolve("plain/pruned"));
    double[][] rescaledLogits = logits(pruned);
    assertThat(rescaledLogits).isNotEqualTo(plainLogits);
    String card = Files.readString(pruned.resolve("README.md"));
    assertThat(card).contains("Recovery: each kept head's output-projection columns");
    String page = Files.readString(out.resolve("rescaled/report.html"));
    assertThat(page).contains("Recovery by rescaling").contains("id=\"recovery\"");
  }

  private static double accuracy(Path model, List<HeadRef> gatedOff) {
    try (Checkpoint checkpoint = Models.open(model);
        HeadModel loaded = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 64)) {
      List<Encoded> examples = inputs.read(MODEL.resolve("eval.jsonl"));
      float[][] logits =
          ModelRunner.logits(loaded, examples, (Collection<HeadRef>) gatedOff, 16, Progress.NONE);
      int right = 0;
      for (int i = 0; i < examples.size(); i++) {
        int best = 0;
        for (int c = 1; c < logits[i].length; c++) {
          best = logits[i][c] > logits[i][best] ? c : best;
        }
        right += best == examples.get(i).label() ? 1 : 0;
      }
      return (double) right / examples.size();
    }
  }

  private static double[][] logits(Path model) {
    try (Checkpoint checkpoint = Models.open(model);
        HeadModel loaded = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 64)) {
      List<Encoded> examples = inputs.read(MODEL.resolve("eval.jsonl")).subList(0, 8);
      float[][] logits = ModelRunner.logits(loaded, examples, Set.<HeadRef>of(), 16, Progress.NONE);
      double[][] wide = new double[logits.length][];
      for (int i = 0; i < logits.length; i++) {
        wide[i] = new double[logits[i].length];
        for (int c = 0; c < logits[i].length; c++) {
          wide[i][c] = logits[i][c];
        }
      }
      return wide;
    }
  }
}
