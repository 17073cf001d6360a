package io.headprune.cli;

import io.headprune.checkpoint.DataSource;
import io.headprune.checkpoint.Labels;
import io.headprune.model.MemoryBudget;
import io.headprune.progress.Progress;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options that {@code score} and {@code prune} share. */
final class EngineOptions {

  @Option(
      names = "--model",
      required = true,
      description = "Hugging Face model directory, or hub:org/name[@revision]")
  Path model;

  @Option(
      names = "--data",
      required = true,
      description =
          "calibration data: .jsonl, .json, .csv, .tsv (each maybe .gz or .zst), .parquet, or"
              + " hub:datasets/org/name[@revision]")
  Path data;

  @Option(names = "--config", description = "the Hub dataset's config (default: its default)")
  String config;

  @Option(names = "--split", description = "the Hub dataset's split (default: train)")
  String split;

  @Option(names = "--rows", description = "rows read of a Hub split (default: 10000)")
  Integer rows;

  @Option(
      names = "--columns",
      description =
          "which column is which field, e.g. text=sentence,label=label (fields: text, textPair,"
              + " label, context, choices, image)")
  String columns;

  @Option(
      names = "--recipe",
      description =
          "examples (default), segments (random token windows of the joined text) or corpus"
              + " (non-overlapping windows)")
  String recipe;

  @Option(
      names = "--segments",
      defaultValue = "128",
      description = "windows drawn by --recipe segments (default: ${DEFAULT-VALUE})")
  int segments;

  @Option(names = "--tokens", description = "tokens per window (default: --max-length)")
  Integer tokens;

  @Option(
      names = "--segment-seed",
      defaultValue = "0",
      description = "seed of the segments' draw (default: ${DEFAULT-VALUE})")
  long segmentSeed;

  @Option(
      names = "--memory-budget",
      description =
          "what the model may take, e.g. 20GB (default: the container's limit or the RAM, less a"
              + " tenth and the JVM heap); a model above it streams its layers one at a time")
  void memoryBudget(String budget) {
    MemoryBudget.configure(budget);
  }

  @Option(
      names = "--stream-layers",
      description =
          "auto (default: when the model does not fit --memory-budget), always (where the family"
              + " streams: decoders) or never")
  void streamLayers(String stream) {
    MemoryBudget.configureStream(stream);
  }

  /** The model directory (a hub: model downloaded into the cache first). */
  Path modelDirectory() {
    return DataOptions.model(model);
  }

  /** The model with the name and commit a pruned model's card records. */
  DataOptions.ModelSource modelSource() {
    return DataOptions.modelSource(model);
  }

  /** The calibration data as --data and its options name it. */
  DataSource data(Labels labels, boolean byIndex) {
    return data(data, columns, labels, byIndex);
  }

  /**
   * {@code spec} read with the settings of {@code --data} (config, split, recipe) and {@code
   * columns}.
   */
  DataSource data(Path spec, String columns, Labels labels, boolean byIndex) {
    return DataOptions.data(
        new DataOptions.Spec(
            spec, config, split, rows, columns, recipe, segments, tokens, segmentSeed, null),
        maxLength,
        labels,
        byIndex);
  }

  @Option(
      names = "--max-length",
      defaultValue = "128",
      description = "token limit per example (default: ${DEFAULT-VALUE})")
  int maxLength;

  @Option(
      names = "--batch-size",
      defaultValue = "16",
      description = "examples per pass (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(
      names = "--normalization",
      defaultValue = "global",
      description = "global or layer (default: ${DEFAULT-VALUE})")
  String normalization;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description =
          "auto, cpu, gpu0, ...; gpu0+gpu1 places the layers across both (default:"
              + " ${DEFAULT-VALUE})")
  String device;

  @Option(
      names = "--json",
      description = "print the result document on stdout (scores for score, the report for prune)")
  boolean json;

  @Option(names = "--quiet", description = "no progress lines on stderr")
  boolean quiet;

  /** Progress lines on {@code err}, unless quiet. */
  Progress progress(PrintWriter err) {
    return quiet ? Progress.NONE : new ConsoleProgress(err, System::nanoTime);
  }
}
