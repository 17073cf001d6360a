package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.headprune.checkpoint.ModelConfig;
import io.headprune.checkpoint.SafetensorsFile;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.model.MemoryBudget;
import io.headprune.model.Models;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.DecoderGoldenScoresTest;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * A decoder written after the engine (fixtures/random-mistral-gqa/make.py): Mistral, grouped query
 * heads, an explicit head_dim that is not hidden / heads, q/k/v/o biases, tied embeddings, BF16
 * weights in two shards. A whole uniform-groups run — scores, selection, evaluation, pruned/ —
 * gives the reference's numbers — with the model resident, and with its layers streamed (each read
 * from the shards and widened when it runs, scoring by recomputation from the top down), the
 * written model measured streamed too.
 */
class UnseenDecoderTest {

  @TempDir Path out;

  @ParameterizedTest
  @ValueSource(strings = {"auto", "always"})
  void aUniformGroupsRunOnAnUnseenShardedBf16MistralGivesTheReferencesNumbers(String stream) {
    MemoryBudget.configureStream(stream);
    try {
      run();
    } finally {
      MemoryBudget.configureStream("");
    }
  }

  private void run() {
    Path model = Fixtures.resource("fixtures/random-mistral-gqa");
    JsonNode golden = Fixtures.json("golden/random-mistral-gqa.json");
    PruneOptions options =
        TestOptions.small()
            .criteria(List.of(Criterion.HIES, Criterion.HIS))
            .selection(new PruneOptions.Selection.UniformGroups(false))
            .build();
    Pruner.Result result =
        Pruner.prune(
            PruneRequest.of(
                    model, model.resolve("calib.jsonl"), model.resolve("eval.jsonl"), options)
                .writingTo(out.resolve("run")));

    DecoderGoldenScoresTest.assertMatches(
        "random-mistral-gqa",
        result.perSeed().get(0),
        Fixtures.json("fixtures/random-mistral-gqa/golden-scores.json"));
    int[][] removed = result.report().artifact().prunedHeads();
    assertThat(Arrays.deepToString(removed))
        .isEqualTo(golden.get("uniform-hies-0.5").toString().replace(",", ", "));
    JsonNode evaluation = golden.get("evaluate-uniform");
    PruneReport.EvaluationRow hies = result.report().evaluations().get(0);
    assertThat(hies.metric()).isEqualTo("perplexity");
    assertThat(hies.value())
        .isCloseTo(evaluation.get("perplexity").asDouble(), within(1e-5 * hies.value()));
    assertThat(hies.agreement()).isEqualTo(evaluation.get("agreement").asDouble());
    assertThat(result.report().dense().value())
        .isCloseTo(evaluation.get("densePerplexity").asDouble(), within(1e-5 * hies.value()));

    ModelConfig pruned = Models.config(out.resolve("run/pruned"));
    assertThat(pruned.attentionHeads()).isEqualTo(2);
    assertThat(pruned.keyValueHeads()).isEqualTo(1);
    assertThat(pruned.headSize()).isEqualTo(12);
    JsonNode index = Fixtures.jsonFile(out.resolve("run/pruned/model.safetensors.index.json"));
    long shards = 0;
    for (String shard :
        List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")) {
      try (var file = SafetensorsFile.open(out.resolve("run/pruned").resolve(shard))) {
        shards += file.tensors().values().stream().mapToLong(TensorInfo::byteLength).sum();
      }
    }
    assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(shards);
    assertThat(index.get("weight_map").size())
        .isEqualTo(
            Fixtures.json("fixtures/random-mistral-gqa/model.safetensors.index.json")
                .get("weight_map")
                .size());
  }
}
