package io.headprune.cli;

import io.headprune.checkpoint.Json;
import io.headprune.model.Devices;
import io.headprune.pruning.Pruner;
import io.headprune.pruning.ScoresDocument;
import io.headprune.scoring.HeadScore;
import io.headprune.scoring.Normalization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code score}: HIS, attention entropy and HIES of every head, on every example of the data. */
@Command(
    name = "score",
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:success",
      "1:bad input (one line on stderr names it)",
      "2:usage error: unknown option, conflicting options",
      "3:failure that is not the input's fault"
    },
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

  @Option(names = "--out", description = "scores.json to write (required unless --json)")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (out == null && !engine.json) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "give --out FILE, --json, or both");
    }
    Normalization norm = Normalization.parse(engine.normalization);
    ScoresDocument scores =
        Pruner.score(
            engine.modelDirectory(),
            engine.data(null, true),
            engine.maxLength,
            engine.batchSize,
            alpha,
            norm,
            Devices.parse(engine.device),
            engine.progress(spec.commandLine().getErr()));
    String document = Json.MAPPER.writeValueAsString(scores) + "\n";
    if (out != null) {
      Path parent = out.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Files.writeString(out, document);
    }
    if (engine.json) {
      spec.commandLine().getOut().print(document);
      spec.commandLine().getOut().flush();
    } else {
      // the result on stdout: one line per head, most important first by HIES
      spec.commandLine()
          .getOut()
          .printf("%-5s %-4s %12s %10s %8s%n", "layer", "head", "his", "entropy", "hies");
      scores.heads().stream()
          .sorted(Comparator.comparingDouble(HeadScore::hies).reversed())
          .forEach(
              h ->
                  spec.commandLine()
                      .getOut()
                      .printf(
                          Locale.ROOT,
                          "%-5d %-4d %12.6g %10.6f %8.4f%n",
                          h.layer(),
                          h.head(),
                          h.his(),
                          h.entropy(),
                          h.hies()));
      spec.commandLine().getOut().flush();
    }
    if (!engine.quiet) {
      spec.commandLine()
          .getErr()
          .printf(
              "scored %d heads on %d examples%s%n",
              scores.heads().size(), scores.examples(), out == null ? "" : "; wrote " + out);
      spec.commandLine().getErr().flush();
    }
    return 0;
  }
}
