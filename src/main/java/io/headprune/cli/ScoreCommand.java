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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code score}: HIS, attention entropy and HIES of every head, on every example of the data. */
@Command(
    name = "score",
    mixinStandardHelpOptions = true,
    description = "Score every attention head (HIS, entropy, HIES).")
final class ScoreCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin EngineOptions engine;

  @Option(
      names = "--alpha",
      defaultValue = "0.5",
      description = "HIES weight in [0, 1] (default: ${DEFAULT-VALUE})")
  double alpha;

  @Option(names = "--out", required = true, description = "scores.json to write")
  Path out;

  @Override
  public Integer call() throws Exception {
    Normalization norm = Normalization.parse(engine.normalization);
    ScoresDocument scores =
        Pruner.score(
            engine.model,
            engine.data,
            engine.maxLength,
            engine.batchSize,
            alpha,
            norm,
            Devices.parse(engine.device),
            new ConsoleProgress(spec.commandLine().getErr()));
    Path parent = out.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Files.writeString(out, Json.MAPPER.writeValueAsString(scores) + "\n");
    spec.commandLine()
        .getErr()
        .printf(
            "scored %d heads on %d examples; wrote %s%n",
            scores.heads().size(), scores.examples(), out);
    spec.commandLine().getErr().flush();
    return 0;
  }
}
