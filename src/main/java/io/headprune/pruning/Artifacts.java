package io.headprune.pruning;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.model.Architecture;
import io.headprune.model.HeadLayout;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import io.headprune.pruning.PruneReport.Outputs;
import io.headprune.pruning.PruneReport.Speedup;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.ModelRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a run's outputs and measures what the physically pruned model gains. */
final class Artifacts {

  private static final int LATENCY_RUNS = 5;

  /**
   * Examples latency is timed on: every k-th of the evaluation set in length order, so the sample
   * keeps its spread of lengths; timing all of them five times each way cost more than the rest of
   * a job.
   */
  private static final int LATENCY_EXAMPLES = 64;

  private Artifacts() {}

  /**
   * Writes {@code out/pruned} (when the selection can be written as a smaller model), {@code
   * out/masked}, {@code scores.json} and {@code report.json}.
   */
  static Pruner.Result write(
      Checkpoint checkpoint,
      HeadModel model,
      PruneOptions options,
      Run.Outcome outcome,
      ModelCard.Provenance provenance,
      Path out,
      Device device,
      Progress progress) {
    Architecture architecture = Models.architecture(checkpoint.config());
    boolean physical =
        architecture.physicalPruning() == Architecture.PhysicalPruning.PRUNED_HEADS
            || options.uniformGroups();
    try {
      Files.createDirectories(out);
      progress.report(Phase.WRITE, 0, 2);
      if (physical) {
        CheckpointPruner.write(
            checkpoint, outcome.written(), PruneMode.PHYSICAL, out.resolve("pruned"));
      }
      progress.report(Phase.WRITE, 1, 2);
      CheckpointPruner.write(
          checkpoint, outcome.written(), PruneMode.MASKED, out.resolve("masked"));
      progress.report(Phase.WRITE, 2, 2);
      long elementBytes = elementBytes(checkpoint);
      Speedup speedup;
      if (physical) {
        try (Checkpoint pruned = Models.open(out.resolve("pruned"));
            HeadModel prunedModel = Models.load(pruned, device)) {
          speedup = speedup(model, options, outcome, prunedModel, elementBytes);
        }
      } else {
        speedup = unchanged(model, outcome, elementBytes);
      }
      Outputs outputs = outputs(architecture, physical, model, outcome);
      PruneReport report =
          PruneReport.of(
              outcome.findings(),
              speedup,
              outputs,
              new PruneReport.Provenance(
                  provenance.baseModel(),
                  provenance.baseModelCommit(),
                  provenance.madeBy(),
                  provenance.request(),
                  provenance.inputs(),
                  options,
                  versions(),
                  device.toString(),
                  provenance.startedAt(),
                  Instant.now()));
      for (String kind : physical ? List.of("pruned", "masked") : List.of("masked")) {
        ModelCard.write(
            out.resolve(kind),
            checkpoint.directory(),
            provenance,
            report,
            options,
            kind,
            versions());
      }
      writeJson(out.resolve("scores.json"), outcome.scores());
      writeJson(out.resolve("report.json"), report);
      Files.writeString(
          out.resolve("report.html"),
          ReportPage.html(report, outcome.scores()),
          StandardCharsets.UTF_8);
      return new Pruner.Result(outcome.scores(), outcome.perSeed(), report);
    } catch (IOException e) {
      throw new UncheckedIOException("writing outputs to " + out.getFileName(), e);
    }
  }

  /** headprune's, DJL's and PyTorch's versions, for the model card. */
  static Map<String, String> versions() {
    Map<String, String> versions = new LinkedHashMap<>();
    versions.put("headprune", BuildVersion.get());
    versions.put("DJL", Engine.getDjlVersion());
    try {
      versions.put("PyTorch", Engine.getEngine("PyTorch").getVersion());
    } catch (RuntimeException e) {
      versions.put("PyTorch", "unknown");
    }
    return versions;
  }

  private static Outputs outputs(
      Architecture architecture, boolean physical, HeadModel model, Run.Outcome outcome) {
    if (architecture.physicalPruning() == Architecture.PhysicalPruning.PRUNED_HEADS) {
      return new Outputs(
          "pruned/",
          "masked/",
          "pruned/ records pruned_heads, which transformers 4.x re-applies on load "
              + "(v5 dropped head pruning); masked/ keeps the shapes and loads in any version");
    }
    if (!physical) {
      return new Outputs(
          null,
          "masked/",
          "masked/ only: this model's pruned checkpoint is a stock config with fewer "
              + "heads, which needs the same number of whole key/value groups removed in every layer; rerun with "
              + "uniform-groups selection for it. masked/ keeps the shapes and loads in any transformers version");
    }
    ModelConfig config = model.config();
    int groups = config.attentionHeads() / config.keyValueHeads();
    int removed = (int) outcome.heads().stream().filter(h -> h.layer() == 0).count();
    int left = config.attentionHeads() - removed;
    boolean v5 = config.hiddenSize() % left == 0;
    int keyValuesLeft = config.keyValueHeads() - removed / groups;
    List<String> parallel = new ArrayList<>();
    for (int size = 2; size <= 8; size *= 2) {
      if (PruneOptions.Selection.UniformGroups.servesWithTensorParallel(
          left, keyValuesLeft, size)) {
        parallel.add(Integer.toString(size));
      }
    }
    String vllm =
        "; vLLM tensor parallelism over "
            + (parallel.isEmpty() ? "no size of 2, 4 or 8" : String.join(", ", parallel))
            + " GPUs (query heads divisible by the size, key/value heads divisible by it or"
            + " dividing it)";
    return new Outputs(
        "pruned/",
        "masked/",
        "pruned/ is a stock config with num_attention_heads "
            + left
            + ", num_key_value_heads "
            + (config.keyValueHeads() - removed / groups)
            + " and head_dim "
            + config.headSize()
            + " written out: transformers versions that honour head_dim load it (from 4.45 on for most classes; "
            + "see the README for each class)"
            + (v5
                ? ", v5 included"
                : "; not v5, whose config demands hidden_size "
                    + config.hiddenSize()
                    + " divisible by the "
                    + left
                    + " heads left (keepLoadableBy v5 restricts the selection)")
            + vllm);
  }

  /** Bytes of one element of the checkpoint's attention weights (its storage dtype). */
  private static long elementBytes(Checkpoint checkpoint) {
    HeadLayout layout = Models.layout(checkpoint);
    String name = layout.layers().get(0).tensors().get(0).name();
    TensorInfo info = checkpoint.tensors().get(name);
    return info == null ? 4 : info.dtype().bytes();
  }

  /** Writes {@code value} as pretty JSON, through a temporary file and a rename. */
  static void writeJson(Path file, Object value) throws IOException {
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    Files.writeString(partial, Json.MAPPER.writeValueAsString(value) + "\n");
    Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static double meanLength(Run.Outcome outcome) {
    return outcome.evaluationExamples().stream().mapToInt(Encoded::length).average().orElse(1);
  }

  private static Speedup unchanged(HeadModel model, Run.Outcome outcome, long elementBytes) {
    double flops = attentionFlops(model, meanLength(outcome));
    long cache = kvCacheBytesPerToken(model, elementBytes);
    return new Speedup(
        model.parameters(), model.parameters(), 1.0, null, null, null, flops, flops, cache, cache);
  }

  private static Speedup speedup(
      HeadModel model,
      PruneOptions options,
      Run.Outcome outcome,
      HeadModel pruned,
      long elementBytes) {
    List<Encoded> examples = latencySample(outcome.evaluationExamples());
    double before = attentionFlops(model, meanLength(outcome));
    double after = attentionFlops(pruned, meanLength(outcome));
    long cacheBefore = kvCacheBytesPerToken(model, elementBytes);
    long cacheAfter = kvCacheBytesPerToken(pruned, elementBytes);
    if (!options.measureLatency() || examples.get(0).choices() != null) {
      return new Speedup(
          model.parameters(),
          pruned.parameters(),
          before / after,
          null,
          null,
          null,
          before,
          after,
          cacheBefore,
          cacheAfter);
    }
    int batch = Math.max(options.batchSize(), 64);
    double[] dense = new double[LATENCY_RUNS];
    double[] afterMillis = new double[LATENCY_RUNS];
    ModelRunner.run(model, examples, batch); // warm-up
    ModelRunner.run(pruned, examples, batch);
    for (int i = 0; i < LATENCY_RUNS; i++) {
      dense[i] = time(model, examples, batch);
      afterMillis[i] = time(pruned, examples, batch);
    }
    double denseMillis = median(dense);
    double prunedMillis = median(afterMillis);
    return new Speedup(
        model.parameters(),
        pruned.parameters(),
        before / after,
        denseMillis / prunedMillis,
        denseMillis,
        prunedMillis,
        before,
        after,
        cacheBefore,
        cacheAfter);
  }

  /** At most {@link #LATENCY_EXAMPLES} of {@code examples}, evenly spread over their lengths. */
  static List<Encoded> latencySample(List<Encoded> examples) {
    if (examples.size() <= LATENCY_EXAMPLES) {
      return examples;
    }
    List<Encoded> sorted =
        examples.stream().sorted(Comparator.comparingInt(Encoded::length)).toList();
    List<Encoded> sample = new ArrayList<>(LATENCY_EXAMPLES);
    for (int i = 0; i < LATENCY_EXAMPLES; i++) {
      sample.add(sorted.get((int) ((long) i * sorted.size() / LATENCY_EXAMPLES)));
    }
    return sample;
  }

  private static double time(HeadModel model, List<Encoded> examples, int batch) {
    long start = System.nanoTime();
    ModelRunner.run(model, examples, batch);
    return (System.nanoTime() - start) / 1e6;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /**
   * Multiply-adds ×2 of the attention block per token at sequence length {@code tokens}: the q, k,
   * v and output projections (k and v over the key/value heads) and the scores and context.
   */
  static double attentionFlops(HeadModel model, double tokens) {
    double hidden = model.config().hiddenSize();
    double headSize = model.config().headSize();
    int groupSize = model.config().attentionHeads() / model.config().keyValueHeads();
    double flops = 0;
    for (int[] heads : model.heads()) {
      double inner = heads.length * headSize;
      double keyValue = (double) heads.length / groupSize * headSize;
      flops +=
          2 * (hidden * inner + 2 * hidden * keyValue)
              + 2 * (2 * tokens * inner)
              + 2 * (inner * hidden);
    }
    return flops;
  }

  /** Keys and values cached per token over all layers: 2 · Σ_l KV_l · D elements. */
  static long kvCacheBytesPerToken(HeadModel model, long elementBytes) {
    int groupSize = model.config().attentionHeads() / model.config().keyValueHeads();
    long elements = 0;
    for (int[] heads : model.heads()) {
      elements += 2L * (heads.length / groupSize) * model.config().headSize();
    }
    return elements * elementBytes;
  }
}
