package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import io.headprune.progress.Progress;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.Evaluator;
import io.headprune.scoring.Inputs;
import io.headprune.scoring.Metric;
import io.headprune.support.Checkpoints;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Llama family's config variants: Mistral is Llama under another name (its sliding window must
 * cover every sequence), v5's rope_parameters equal rope_theta, and what is not implemented is
 * refused by name.
 */
class DecoderConfigTest {

  @TempDir Path dir;

  private Path variant(String name, Consumer<ObjectNode> edit) {
    Path model = Fixtures.copy(Fixtures.resource("fixtures/tiny-llama-gqa"), dir.resolve(name));
    Checkpoints.editConfig(model, edit);
    return model;
  }

  private static double perplexity(Path model) {
    try (Checkpoint checkpoint = Models.open(model);
        HeadModel loaded = Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 64)) {
      List<Encoded> text = inputs.read(model.resolve("eval.jsonl"));
      return Evaluator.run(loaded, text, Set.of(), Metric.PERPLEXITY, null, 32, Progress.NONE)
          .value();
    }
  }

  @Test
  void mistralWithAWideWindowAndV5RopeParametersComputeWhatLlamaDoes() {
    double llama = perplexity(Fixtures.resource("fixtures/tiny-llama-gqa"));
    Path mistral =
        variant(
            "mistral",
            c -> {
              c.put("model_type", "mistral");
              c.putArray("architectures").add("MistralForCausalLM");
              c.put("sliding_window", 4096);
            });
    Path v5 =
        variant(
            "v5",
            c -> {
              c.remove("rope_theta");
              c.remove("rope_scaling");
              c.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 10000.0);
            });
    assertThat(perplexity(mistral)).isCloseTo(llama, within(1e-9 * llama));
    assertThat(perplexity(v5)).isCloseTo(llama, within(1e-9 * llama));
    assertThat(llama)
        .isCloseTo(6.528101286966611, within(1e-5)); // decoder_ref.py evaluate: densePerplexity
  }

  @Test
  void unknownRopeTypesAreRefusedByName() {
    Path scaled =
        variant(
            "scaled",
            c -> c.putObject("rope_scaling").put("rope_type", "longrope").put("factor", 8.0));
    assertThatThrownBy(() -> Models.config(scaled))
        .isInstanceOf(UnsupportedModelException.class)
        .hasMessageStartingWith("config.json: rope_scaling.rope_type 'longrope' is not supported");
    Path partial =
        variant(
            "llama3",
            c -> c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0));
    assertThatThrownBy(() -> Models.config(partial))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("rope_scaling.low_freq_factor is required for rope_type 'llama3'");
  }
}
