package io.headprune.cli;

import io.headprune.checkpoint.Json;
import io.headprune.model.Devices;
import io.headprune.pruning.Pruner;
import io.headprune.pruning.ScoresDocument;
import io.headprune.scoring.Normalization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code score}: HIS, attention entropy and HIES of every head, on every example of the data. */
@Command(name = "score", mixinStandardHelpOptions = true, description = "Score every attention head (HIS, entropy, HIES).")
final class ScoreCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, description = "Hugging Face model directory")
  Path model;

  @Option(names = "--data", required = true, description = "calibration data (.jsonl, .csv, .tsv)")
  Path data;

  @Option(names = "--max-length", defaultValue = "128", description = "token limit per example (default: ${DEFAULT-VALUE})")
  int maxLength;

  @Option(names = "--batch-size", defaultValue = "16", description = "examples per pass (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--alpha", defaultValue = "0.5", description = "HIES weight in [0, 1] (default: ${DEFAULT-VALUE})")
  double alpha;

  @Option(names = "--normalization", defaultValue = "global", description = "global or layer (default: ${DEFAULT-VALUE})")
  String normalization;

  @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu0, ... (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--out", required = true, description = "scores.json to write")
  Path out;

  @Override
  public Integer call() throws Exception {
    Normalization norm = Normalization.parse(normalization);
    ScoresDocument scores =
        Pruner.score(model, data, maxLength, batchSize, alpha, norm, Devices.parse(device),
            new ConsoleProgress(spec.commandLine().getErr()));
    Path parent = out.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Files.writeString(out, Json.MAPPER.writeValueAsString(scores) + "\n");
    spec.commandLine().getErr().printf("scored %d heads on %d examples; wrote %s%n", scores.heads().size(),
        scores.examples(), out);
    spec.commandLine().getErr().flush();
    return 0;
  }
}
