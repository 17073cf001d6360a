package io.headprune.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options that {@code score} and {@code prune} share. */
final class EngineOptions {

  @Option(names = "--model", required = true, description = "Hugging Face model directory")
  Path model;

  @Option(names = "--data", required = true, description = "calibration data (.jsonl, .csv, .tsv)")
  Path data;

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
      description = "auto, cpu, gpu0, ... (default: ${DEFAULT-VALUE})")
  String device;

  @Option(
      names = "--json",
      description = "print the result document on stdout (scores for score, the report for prune)")
  boolean json;

  @Option(names = "--quiet", description = "no progress lines on stderr")
  boolean quiet;

  /** Progress lines on {@code err}, unless quiet. */
  io.headprune.scoring.Progress progress(java.io.PrintWriter err) {
    return quiet ? io.headprune.scoring.Progress.NONE : new ConsoleProgress(err, System::nanoTime);
  }
}
