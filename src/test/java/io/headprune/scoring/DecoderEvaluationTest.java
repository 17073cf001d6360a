package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.progress.Progress;
import io.headprune.support.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Evaluation of decoders against the reference's {@code decoder_ref.py evaluate} with the heads its
 * one-shot HIES selection prunes at 0.5 (golden/decoders.json): perplexity and token agreement on
 * text, accuracy and agreement on multiple-choice items, accuracy for the GPT-2 classifier.
 */
class DecoderEvaluationTest {

  @ParameterizedTest
  @MethodSource("io.headprune.support.Fixtures#decoders")
  void evaluationEqualsTheReferences(String fixture) {
    evaluate(fixture, false);
  }

  /** The same passes with the layers streamed (loaded one at a time, freed after each). */
  @ParameterizedTest
  @MethodSource("io.headprune.support.Fixtures#groupedDecoders")
  void streamedEvaluationEqualsTheReferences(String fixture) {
    evaluate(fixture, true);
  }

  private static void evaluate(String fixture, boolean streamed) {
    JsonNode golden = Fixtures.json("golden/decoders.json").get(fixture);
    Set<HeadRef> heads = Set.copyOf(DecoderGoldenScoresTest.pairs(golden.get("select-hies-0.5")));
    Path dir = Fixtures.resource("fixtures/" + fixture);
    try (Checkpoint checkpoint = Models.open(dir);
        HeadModel model =
            streamed
                ? Models.loadStreamed(checkpoint, Device.cpu())
                : Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      assertThat(model.streaming() != null).isEqualTo(streamed);
      List<Encoded> text = inputs.read(dir.resolve("eval.jsonl"));
      JsonNode want = golden.get("evaluate");
      if (model.config().languageModel()) {
        Evaluator.Outcome dense =
            Evaluator.run(model, text, Set.of(), Metric.PERPLEXITY, null, 16, Progress.NONE);
        Evaluator.Outcome gated =
            Evaluator.run(model, text, heads, Metric.PERPLEXITY, null, 16, Progress.NONE);
        assertThat(gated.predictions()).hasSize(want.get("predictedTokens").asInt());
        assertThat(dense.value())
            .isCloseTo(want.get("densePerplexity").asDouble(), within(1e-5 * dense.value()));
        assertThat(gated.value())
            .isCloseTo(want.get("perplexity").asDouble(), within(1e-5 * gated.value()));
        assertThat(gated.agreement(dense)).isEqualTo(want.get("agreement").asDouble());
        System.out.printf(
            "%s: perplexity %.6f (reference %.6f), agreement %.5f%n",
            fixture, gated.value(), want.get("perplexity").asDouble(), gated.agreement(dense));
      } else {
        double[] labels = text.stream().mapToDouble(Encoded::label).toArray();
        Evaluator.Outcome dense =
            Evaluator.run(model, text, Set.of(), Metric.ACCURACY, labels, 16, Progress.NONE);
        Evaluator.Outcome gated =
            Evaluator.run(model, text, heads, Metric.ACCURACY, labels, 16, Progress.NONE);
        assertThat(dense.value()).isEqualTo(want.get("denseAccuracy").asDouble());
        assertThat(gated.value()).isEqualTo(want.get("accuracy").asDouble());
        assertThat(gated.agreement(dense)).isEqualTo(want.get("agreement").asDouble());
      }
      if (Files.exists(dir.resolve("eval-choices.jsonl"))) {
        List<Encoded> items = inputs.read(dir.resolve("eval-choices.jsonl"));
        JsonNode choices = golden.get("evaluate-choices");
        Evaluator.Outcome dense =
            Evaluator.run(model, items, Set.of(), Metric.ACCURACY, null, 16, Progress.NONE);
        Evaluator.Outcome gated =
            Evaluator.run(model, items, heads, Metric.ACCURACY, null, 16, Progress.NONE);
        assertThat(dense.value()).isEqualTo(choices.get("denseAccuracy").asDouble());
        assertThat(gated.value()).isEqualTo(choices.get("accuracy").asDouble());
        assertThat(gated.agreement(dense)).isEqualTo(choices.get("agreement").asDouble());
      }
    }
  }
}
