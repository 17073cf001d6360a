package io.headprune.pruning;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.Json;
import io.headprune.model.Models;
import io.headprune.model.HeadModel;
import io.headprune.pruning.PruneReport.Speedup;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** Writes a run's outputs and measures what the physically pruned model gains. */
final class Artifacts {

  private static final int LATENCY_RUNS = 5;

  private Artifacts() {}

  /** Writes {@code out/pruned}, {@code out/masked}, {@code scores.json} and {@code report.json}. */
  static Pruner.Result write(Checkpoint checkpoint, Run run, Pruner.Result result, Path out, Device device,
      Progress progress) {
    try {
      Files.createDirectories(out);
      progress.report("write", 0, 2);
      CheckpointPruner.write(checkpoint, run.artifactHeads, PruneMode.PHYSICAL, out.resolve("pruned"));
      progress.report("write", 1, 2);
      CheckpointPruner.write(checkpoint, run.artifactHeads, PruneMode.MASKED, out.resolve("masked"));
      progress.report("write", 2, 2);
      Speedup speedup;
      try (Checkpoint pruned = Models.open(out.resolve("pruned"));
          HeadModel prunedModel = Models.load(pruned, device)) {
        speedup = speedup(run, prunedModel);
      }
      PruneReport report = withSpeedup(result.report(), speedup);
      writeJson(out.resolve("scores.json"), result.scores());
      writeJson(out.resolve("report.json"), report);
      return new Pruner.Result(result.scores(), result.perSeed(), report);
    } catch (IOException e) {
      throw new UncheckedIOException("writing outputs to " + out, e);
    }
  }

  /** Writes {@code value} as pretty JSON, through a temporary file and a rename. */
  static void writeJson(Path file, Object value) throws IOException {
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    Files.writeString(partial, Json.MAPPER.writeValueAsString(value) + "\n");
    Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static PruneReport withSpeedup(PruneReport r, Speedup speedup) {
    return new PruneReport(r.model(), r.metric(), r.dense(), r.data(), r.evaluations(), r.summary(), r.alpha(),
        r.alphaComparison(), r.target(), r.artifact(), speedup);
  }

  private static Speedup speedup(Run run, HeadModel pruned) {
    List<Encoded> examples = run.evaluation.examples();
    double meanLength = examples.stream().mapToInt(Encoded::length).average().orElse(1);
    double flopsRatio = attentionFlops(run.model, meanLength) / attentionFlops(pruned, meanLength);
    if (!run.options.measureLatency()) {
      return new Speedup(run.model.parameters(), pruned.parameters(), flopsRatio, null, null, null);
    }
    int batch = Math.max(run.options.batchSize(), 64);
    double[] dense = new double[LATENCY_RUNS];
    double[] after = new double[LATENCY_RUNS];
    ModelRunner.logits(run.model, examples, Set.of(), batch, Progress.NONE); // warm-up
    ModelRunner.logits(pruned, examples, Set.of(), batch, Progress.NONE);
    for (int i = 0; i < LATENCY_RUNS; i++) {
      dense[i] = time(run.model, examples, batch);
      after[i] = time(pruned, examples, batch);
    }
    double denseMillis = median(dense);
    double prunedMillis = median(after);
    return new Speedup(run.model.parameters(), pruned.parameters(), flopsRatio, denseMillis / prunedMillis,
        denseMillis, prunedMillis);
  }

  private static double time(HeadModel model, List<Encoded> examples, int batch) {
    long start = System.nanoTime();
    ModelRunner.logits(model, examples, Set.of(), batch, Progress.NONE);
    return (System.nanoTime() - start) / 1e6;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** Multiply-adds ×2 of the attention block per token at sequence length {@code tokens}. */
  static double attentionFlops(HeadModel model, double tokens) {
    double hidden = model.config().hiddenSize();
    double headSize = model.config().headSize();
    double flops = 0;
    for (int[] heads : model.heads()) {
      double inner = heads.length * headSize;
      flops += 2 * (3 * hidden * inner) + 2 * (2 * tokens * inner) + 2 * (inner * hidden);
    }
    return flops;
  }
}
