package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DataSource;
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
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * What you download is what was measured: the artifact's own head set is evaluated, and the card
 * and the page say so truthfully.
 */
class ArtifactMeasuredTest {

  private static final Path MODEL = Fixtures.tinyBert();

  @TempDir static Path out;

  private static PruneReport report;

  @BeforeAll
  static void runOnce() {
    PruneOptions options =
        TestOptions.small()
            .criteria(List.of(Criterion.HIES, Criterion.HIS))
            .sparsities(List.of(0.25, 0.5))
            .target(PruneOptions.Target.sparsity(0.5))
            .seeds(3)
            .calibrationSize(24)
            .build();
    report =
        Pruner.prune(
                PruneRequest.of(
                        MODEL,
                        DataSource.of(MODEL.resolve("calib.jsonl")),
                        DataSource.of(MODEL.resolve("eval.jsonl")).fromHub("org/order-eval"),
                        options)
                    .named(
                        "tiny-bert-order",
                        new Pruner.Origin("org/tiny-bert-order", "abc123", "test"))
                    .writingTo(out.resolve("run")))
            .report();
  }

  @Test
  void theArtifactsMetricAndAgreementAreThoseOfItsOwnHeadSet() {
    List<HeadRef> heads = new ArrayList<>();
    for (int[] head : report.artifact().prunedHeads()) {
      heads.add(new HeadRef(head[0], head[1]));
    }
    try (Checkpoint checkpoint = Models.open(MODEL);
        HeadModel model = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 64)) {
      List<Encoded> examples = inputs.read(MODEL.resolve("eval.jsonl"));
      int[] pruned =
          argmax(
              ModelRunner.logits(model, examples, (Collection<HeadRef>) heads, 16, Progress.NONE));
      int[] dense =
          argmax(
              ModelRunner.logits(
                  model, examples, (Collection<HeadRef>) List.<HeadRef>of(), 16, Progress.NONE));
      int right = 0;
      int same = 0;
      for (int i = 0; i < examples.size(); i++) {
        right += pruned[i] == examples.get(i).label() ? 1 : 0;
        same += pruned[i] == dense[i] ? 1 : 0;
      }
      assertThat(report.artifact().metric())
          .isCloseTo((double) right / examples.size(), within(1e-12));
      assertThat(report.artifact().agreement())
          .isCloseTo((double) same / examples.size(), within(1e-12));
    }
    PruneReport.SummaryRow hies =
        report.summary().stream()
            .filter(r -> r.criterion().equals("hies") && r.sparsity() == 0.5)
            .findFirst()
            .orElseThrow();
    assertThat(report.artifact().seeds())
        .isEqualTo(new PruneReport.Spread(hies.mean(), hies.std(), 3));
  }

  @Test
  void theCardsHeaderParsesAndStatesTheArtifactsOwnMetric() throws Exception {
    String card = Files.readString(out.resolve("run/pruned/README.md"));
    String header = card.substring(4, card.indexOf("\n---\n", 4));
    Map<String, Object> yaml = new Yaml().load(header);
    assertThat(yaml)
        .containsEntry("base_model", "org/tiny-bert-order")
        .containsEntry("base_model_revision", "abc123")
        .containsEntry("library_name", "transformers")
        .containsEntry("pipeline_tag", "text-classification")
        .containsEntry("datasets", List.of("org/order-eval"))
        .containsEntry("metrics", List.of("accuracy"));
    @SuppressWarnings("unchecked")
    Map<String, Object> entry = ((List<Map<String, Object>>) yaml.get("model-index")).get(0);
    assertThat(entry.get("name"))
        .isEqualTo("org/tiny-bert-order with 8 of 16 attention heads pruned");
    @SuppressWarnings("unchecked")
    Map<String, Object> result = ((List<Map<String, Object>>) entry.get("results")).get(0);
    assertThat(result.get("task")).isEqualTo(Map.of("type", "text-classification"));
    assertThat(result.get("dataset"))
        .isEqualTo(Map.of("name", "org/order-eval", "type", "org/order-eval"));
    @SuppressWarnings("unchecked")
    Map<String, Object> metric = ((List<Map<String, Object>>) result.get("metrics")).get(0);
    assertThat(metric).containsEntry("type", "accuracy");
    assertThat((Double) metric.get("value")).isEqualTo(report.artifact().metric());
    // latency was not measured (TestOptions): the card claims no speed
    assertThat(card).contains("Latency was not measured").doesNotContain("faster");
    assertThat(card).contains("**this model** (its own head set");
    assertThat(card).doesNotContain(MODEL.toAbsolutePath().toString());
  }

  @Test
  void fasterOnlyWhenTheMeasuredLatencySaysSo() {
    assertThat(ModelCard.sizeAndSpeed(withLatency(0.991)))
        .contains("**not faster**")
        .contains("latency ratio 0.991");
    assertThat(ModelCard.sizeAndSpeed(withLatency(1.5))).contains("ran 1.50× as fast");
    assertThat(ModelCard.title("sha256:0123456789abcdef0123456789abcdef"))
        .isEqualTo("Model sha256:0123456789ab…");
    assertThat(ModelCard.pipelineTag("LlamaForCausalLM")).isEqualTo("text-generation");
    assertThat(ModelCard.pipelineTag("ViTForImageClassification"))
        .isEqualTo("image-classification");
  }

  @Test
  void thePageNamesWhatWasPrunedAndMarksTheArtifact() throws Exception {
    String page = Files.readString(out.resolve("run/report.html"));
    assertThat(page)
        .contains("<title>tiny-bert-order: 8 of 16 heads removed by hies at sparsity 0.5</title>")
        .contains("id=\"colour-scale\"")
        .contains("<path class=\"artifact\"")
        .contains("sparsity (share of heads pruned)")
        .contains("The artifact</strong> (its own head set");
  }

  @Test
  void aCriterionThatBeatTheChosenOneIsSaid() {
    PruneReport.SummaryRow hies = row("hies", 0.5, 0.80);
    PruneReport.SummaryRow his = row("his", 0.5, 0.85);
    PruneReport beaten =
        new PruneReport(
            report.model(),
            "accuracy",
            report.dense(),
            report.data(),
            report.evaluations(),
            List.of(row("hies", 0.25, 0.9), row("his", 0.25, 0.91), hies, his),
            report.alpha(),
            List.of(),
            report.target(),
            report.artifact(),
            null,
            null,
            null,
            null,
            null);
    assertThat(Summaries.beaten(beaten))
        .isEqualTo(
            "his beat the chosen hies at the target sparsity 0.5: accuracy 0.8500 ± 0.0100 against"
                + " 0.8000 ± 0.0100, and at every sparsity evaluated.");
  }

  private static PruneReport.SummaryRow row(String criterion, double sparsity, double mean) {
    return new PruneReport.SummaryRow(criterion, sparsity, mean, 0.01, 0.9, 0.8);
  }

  private static PruneReport withLatency(double ratio) {
    PruneReport.Speedup speedup =
        new PruneReport.Speedup(100, 80, 2, ratio, 10.0, 10.0 / ratio, 1, 0.5, 8, 8);
    return new PruneReport(
        report.model(),
        report.metric(),
        report.dense(),
        report.data(),
        report.evaluations(),
        report.summary(),
        report.alpha(),
        report.alphaComparison(),
        report.target(),
        report.artifact(),
        speedup,
        null,
        null,
        null,
        null);
  }

  private static int[] argmax(float[][] logits) {
    int[] best = new int[logits.length];
    for (int i = 0; i < logits.length; i++) {
      for (int c = 1; c < logits[i].length; c++) {
        if (logits[i][c] > logits[i][best[i]]) {
          best[i] = c;
        }
      }
    }
    return best;
  }
}
