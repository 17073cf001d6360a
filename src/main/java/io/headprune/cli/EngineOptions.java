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
}
