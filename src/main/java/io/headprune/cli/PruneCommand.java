package io.headprune.cli;

import io.headprune.checkpoint.DataSource;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.Labels;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.hub.HubSettings;
import io.headprune.hub.HubUpload;
import io.headprune.model.Devices;
import io.headprune.model.Models;
import io.headprune.problem.InvalidInputException;
import io.headprune.pruning.PruneOptions;
import io.headprune.pruning.PruneReport;
import io.headprune.pruning.PruneRequest;
import io.headprune.pruning.Pruner;
import io.headprune.pruning.Recovery;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Metric;
import io.headprune.scoring.Normalization;
import io.headprune.storage.ArtifactStore;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code prune}: score, evaluate, and write pruned/, masked/, scores.json and report.json. */
@Command(
    name = "prune",
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:success",
      "1:bad input (one line on stderr names it)",
      "2:usage error: unknown option, conflicting options",
      "3:failure that is not the input's fault"
    },
    mixinStandardHelpOptions = true,
    description = "Prune the lowest-scoring attention heads.")
final class PruneCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin EngineOptions engine;

  @Option(
      names = "--eval",
      description =
          "evaluation data (as --data, or hub:datasets/org/name); default: a held-out part of"
              + " --data")
  Path eval;

  @Option(
      names = "--compare-data",
      paramLabel = "DATA",
      description =
          "another calibration set to compare with --data (repeatable; as --data, read with its"
              + " --config, --split, --rows and recipe): each is scored, selected by --criterion"
              + " and evaluated on --eval")
  List<Path> compareData = new ArrayList<>();

  @Option(
      names = "--compare-columns",
      description = "--columns for the --compare-data sets (default: --columns)")
  String compareColumns;

  @Option(names = "--eval-config", description = "the evaluation Hub dataset's config")
  String evalConfig;

  @Option(
      names = "--eval-split",
      description = "the evaluation Hub dataset's split (default: validation)")
  String evalSplit;

  @Option(names = "--eval-rows", description = "rows read of the evaluation Hub split")
  Integer evalRows;

  @Option(names = "--eval-columns", description = "--columns for the evaluation data")
  String evalColumns;

  @Option(
      names = "--eval-recipe",
      description = "examples (default) or corpus (WikiText-style perplexity windows)")
  String evalRecipe;

  @Option(names = "--eval-tokens", description = "tokens per corpus window (default: --max-length)")
  Integer evalTokens;

  @Option(
      names = "--task",
      description =
          "format the evaluation rows as an lm-evaluation-harness task: hellaswag, piqa, arc_easy,"
              + " arc_challenge, winogrande, boolq, openbookqa")
  String task;

  @Option(
      names = "--label-mapping",
      defaultValue = "check",
      description =
          "check (a Hub split's label names must be the model's id2label) or by-index (default:"
              + " ${DEFAULT-VALUE})")
  String labelMapping;

  @Option(
      names = "--criterion",
      defaultValue = "hies",
      description =
          "criterion of the artifact: hies, his, entropy, random, l2 (default: ${DEFAULT-VALUE})")
  String criterion;

  @Option(
      names = "--criteria",
      description = "criteria evaluated side by side, e.g. hies,his,random (default: --criterion)")
  String criteria;

  @Option(
      names = "--sparsity",
      description =
          "share of heads the artifact prunes, in [0, 1) (default: "
              + DEFAULT_SPARSITY
              + ", as a job's target)")
  Double sparsity;

  @Option(
      names = "--sparsities",
      description = "sparsities evaluated, e.g. 0.1,0.3,0.5 (default: --sparsity)")
  String sparsities;

  @Option(
      names = "--max-metric-drop",
      description =
          "instead of --sparsity: largest sparsity whose mean metric drops at most this much")
  Double maxMetricDrop;

  @Option(
      names = "--alpha",
      defaultValue = "0.5",
      description =
          "HIES weight in [0, 1], or auto: chosen per sparsity (default: ${DEFAULT-VALUE})")
  String alpha;

  @Option(
      names = "--alpha-by",
      description =
          "with --alpha auto: divergence (lowest KL from the unpruned model on held-out pool examples; default) or metric (best validation metric)")
  String alphaBy;

  @Option(
      names = "--min-heads-per-layer",
      defaultValue = "1",
      description = "heads every layer keeps (default: ${DEFAULT-VALUE})")
  int minHeadsPerLayer;

  @Option(
      names = "--seeds",
      defaultValue = "1",
      description = "seeds to repeat scoring and evaluation with (default: ${DEFAULT-VALUE})")
  int seeds;

  @Option(
      names = "--calibration-size",
      description = "examples drawn per seed (default: all of --data)")
  Integer calibrationSize;

  @Option(
      names = "--metric",
      description =
          "accuracy, f1, mcc, pearson, spearman (default: accuracy, or pearson for regression)")
  String metric;

  @Option(
      names = "--iterative",
      description = "re-score after each --step of sparsity instead of one shot")
  boolean iterative;

  @Option(
      names = "--uniform-groups",
      description =
          "grouped-query models: remove whole key/value groups, the same "
              + "number in every layer, so that pruned/ is a stock config with fewer heads")
  boolean uniformGroups;

  @Option(
      names = "--keep-loadable-by",
      description =
          "with --uniform-groups: targets joined by '+': v5 keeps hidden_size divisible by the "
              + "heads left, as transformers v5 demands; vllm-tp<N> keeps the head counts vLLM "
              + "shards over N GPUs (e.g. v5+vllm-tp4; default: v4)")
  String keepLoadableBy;

  @Option(
      names = "--step",
      defaultValue = "0.1",
      description = "sparsity per iterative step (default: ${DEFAULT-VALUE})")
  double step;

  @Option(
      names = "--recovery",
      defaultValue = "none",
      description =
          "none, or rescale: scale each kept head's output-projection columns, layer by layer, "
              + "to reconstruct the unpruned attention output on the calibration tokens; the "
              + "grid gains <criterion>+rescale rows (default: ${DEFAULT-VALUE})")
  String recovery;

  @Option(names = "--no-latency", description = "skip the latency measurement")
  boolean noLatency;

  @Option(names = "--out", required = true, description = "output directory")
  Path out;

  @Option(
      names = "--push-to",
      paramLabel = "org/name",
      description =
          "then push pruned/ (masked/ when the model cannot be made smaller) with its card to this"
              + " Hub model repository as one commit (created private if it does not exist), with"
              + " HF_TOKEN or the token file of `hf auth login`")
  String pushTo;

  @Option(
      names = "--push-revision",
      defaultValue = "main",
      description = "the branch --push-to commits to (default ${DEFAULT-VALUE})")
  String pushRevision;

  @Option(
      names = "--force",
      description =
          "replace the outputs (pruned/, masked/, scores.json, report.json) of an earlier run in --out")
  boolean force;

  /** The files and directories a run writes into --out. */
  static final List<String> OUTPUTS =
      List.of("pruned", "masked", "scores.json", "report.json", "report.html");

  /**
   * The artifact's sparsity when neither --sparsity nor --max-metric-drop is given (a job's default
   * target).
   */
  static final double DEFAULT_SPARSITY = 0.3;

  @Override
  public Integer call() {
    if (sparsity != null && maxMetricDrop != null) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "give one of --sparsity and --max-metric-drop, not both");
    }
    if (pushTo != null) { // before the run, not after it
      HubUpload.check(pushTo, pushRevision);
      if (HubSettings.fromEnvironment(DataOptions.environment.get()).token() == null) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "--push-to needs a Hub token with write access: HF_TOKEN, or `hf auth login`");
      }
    }
    List<String> earlier =
        OUTPUTS.stream().filter(name -> Files.exists(out.resolve(name))).toList();
    if (!earlier.isEmpty()) {
      if (!force) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            out
                + " holds the outputs of an earlier run ("
                + String.join(", ", earlier)
                + "); use --force to replace them, or another --out");
      }
      earlier.forEach(name -> ArtifactStore.delete(out.resolve(name)));
    }
    if (sparsity == null && maxMetricDrop == null) {
      sparsity = DEFAULT_SPARSITY;
    }
    Criterion artifact = Criterion.parse(criterion);
    List<Criterion> evaluated =
        criteria == null
            ? List.of(artifact)
            : Arrays.stream(criteria.split(",")).map(Criterion::parse).toList();
    List<Double> grid =
        sparsities == null
            ? (sparsity == null ? List.of() : List.of(sparsity))
            : numbers(sparsities);
    PruneOptions options =
        PruneOptions.cli(grid.isEmpty() ? DEFAULT_SPARSITY : grid.get(0)).toBuilder()
            .criteria(evaluated)
            .criterion(artifact)
            .sparsities(grid)
            .target(PruneOptions.Target.of(sparsity, maxMetricDrop))
            .alpha(PruneOptions.parseAlpha(alpha.toLowerCase(Locale.ROOT), alphaBy))
            .normalization(Normalization.parse(engine.normalization))
            .seeds(seeds)
            .calibrationSize(calibrationSize)
            .maxLength(engine.maxLength)
            .batchSize(engine.batchSize)
            .minHeadsPerLayer(minHeadsPerLayer)
            .metric(metric == null ? null : Metric.parse(metric))
            .measureLatency(!noLatency)
            .selection(selection())
            .recovery(Recovery.parse(recovery))
            .build();
    if (!labelMapping.matches("check|by-index")) {
      throw new InvalidInputException("--label-mapping must be check or by-index");
    }
    DataOptions.ModelSource source = engine.modelSource();
    Path modelDir = source.directory();
    ModelConfig config = Models.config(modelDir);
    Labels labels = config.languageModel() ? null : config.labels();
    boolean byIndex = "by-index".equals(labelMapping);
    DataSource data = engine.data(labels, byIndex);
    List<DataSource> compared = new ArrayList<>();
    for (Path other : compareData) {
      compared.add(
          engine.data(
              other, compareColumns == null ? engine.columns : compareColumns, labels, byIndex));
    }
    DataSource evaluation =
        DataOptions.data(
            eval == null
                ? null
                : new DataOptions.Spec(
                    eval,
                    evalConfig,
                    evalSplit == null && eval.toString().startsWith("hub:")
                        ? "validation"
                        : evalSplit,
                    evalRows,
                    evalColumns,
                    evalRecipe,
                    0,
                    evalTokens,
                    0,
                    task),
            engine.maxLength,
            labels,
            byIndex);
    // the model card records the command that made it, without this machine's absolute paths
    String command =
        "java -jar headprune.jar "
            + String.join(
                " ",
                spec.commandLine().getParseResult().originalArgs().stream()
                    .map(PruneCommand::portable)
                    .toList());
    Pruner.Result result =
        Pruner.prune(
            PruneRequest.of(modelDir, data, evaluation, options)
                .named(source.name(), new Pruner.Origin(source.name(), source.commit(), command))
                .comparing(compared)
                .writingTo(out)
                .on(Devices.parse(engine.device))
                .reporting(engine.progress(spec.commandLine().getErr())));
    if (engine.json) {
      spec.commandLine().getOut().println(Json.MAPPER.writeValueAsString(result.report()));
    } else {
      print(result.report(), spec.commandLine().getOut());
    }
    spec.commandLine().getOut().flush();
    if (pushTo != null) {
      String kind = Files.isDirectory(out.resolve("pruned")) ? "pruned" : "masked";
      spec.commandLine()
          .getErr()
          .println("pushing " + kind + "/ to the Hub repository " + pushTo + " …");
      HubUpload.Pushed pushed =
          new HubUpload(HubSettings.fromEnvironment(DataOptions.environment.get()))
              .push(out.resolve(kind), pushTo, pushRevision, true, "headprune prune: " + kind);
      spec.commandLine()
          .getErr()
          .printf(
              "pushed %d files (%d through LFS) to %s@%s: %s%n",
              pushed.files(), pushed.lfsFiles(), pushed.repo(), pushed.revision(), pushed.url());
    }
    return 0;
  }

  /**
   * An argument as a model card may show it: an absolute path relative to the working directory
   * when it lies under it, else its file name; anything else as it is.
   */
  static String portable(String argument) {
    if (!argument.startsWith("/")) {
      return argument;
    }
    try {
      Path path = Path.of(argument).normalize();
      Path here = Path.of("").toAbsolutePath().normalize();
      if (path.startsWith(here)) {
        String relative = here.relativize(path).toString();
        return relative.isEmpty() ? "." : relative;
      }
      Path file = path.getFileName();
      return file == null ? argument : file.toString();
    } catch (InvalidPathException e) {
      return argument;
    }
  }

  private PruneOptions.Selection selection() {
    if (iterative && uniformGroups) {
      throw new InvalidInputException(
          "selection is either --iterative or --uniform-groups, not both");
    }
    if (keepLoadableBy != null && !uniformGroups) {
      throw new InvalidInputException("--keep-loadable-by applies to --uniform-groups only");
    }
    if (iterative) {
      return new PruneOptions.Selection.Iterative(step);
    }
    return uniformGroups
        ? PruneOptions.Selection.UniformGroups.keepLoadableBy(
            keepLoadableBy == null ? "v4" : keepLoadableBy)
        : new PruneOptions.Selection.OneShot();
  }

  private static List<Double> numbers(String list) {
    List<Double> values = new ArrayList<>();
    for (String part : list.split(",")) {
      try {
        values.add(Double.parseDouble(part.trim()));
      } catch (NumberFormatException e) {
        throw new InvalidInputException("'" + part + "' in --sparsities is not a number");
      }
    }
    return values;
  }

  static void print(PruneReport report, PrintWriter out) {
    out.printf(
        Locale.ROOT,
        "dense %s: %.4f  (%d evaluation examples, %s%s)%n",
        report.metric(),
        report.dense().value(),
        report.data().evaluation(),
        report.data().evaluationSource(),
        Metric.parse(report.metric()).higherIsBetter() ? "" : "; lower is better");
    PruneReport.DataSizes data = report.data();
    if (data.poolRows() > data.pool() || data.evaluationRows() > data.evaluation()) {
      out.printf(
          Locale.ROOT,
          "sampled: %d of %d calibration rows, %d of %d evaluation rows%n",
          data.pool(),
          data.poolRows(),
          data.evaluation(),
          Math.max(data.evaluationRows(), data.evaluation()));
    }
    int width =
        Math.max(
            9, report.summary().stream().mapToInt(r -> r.criterion().length()).max().orElse(0));
    out.printf(
        Locale.ROOT,
        "%-" + width + "s %8s %8s %8s %10s %8s%n",
        "criterion",
        "sparsity",
        "mean",
        "std",
        "agreement",
        "jaccard");
    for (PruneReport.SummaryRow row : report.summary()) {
      out.printf(
          Locale.ROOT,
          "%-" + width + "s %8.2f %8.4f %8.4f %10.4f %8.4f%n",
          row.criterion(),
          row.sparsity(),
          row.mean(),
          row.std(),
          row.agreementMean(),
          row.jaccardMean());
    }
    out.printf(
        Locale.ROOT,
        "alpha: %.1f%s%n",
        report.alpha().value(),
        report.alpha().auto()
            ? " (auto, by " + report.alpha().by() + "; " + report.alpha().explanation() + ")"
            : "");
    if (report.alpha().auto()) {
      for (PruneReport.AlphaAtSparsity at : report.alpha().perSparsity()) {
        StringBuilder curve = new StringBuilder();
        for (PruneReport.AlphaTrial trial : at.grid()) {
          curve.append(
              String.format(
                  Locale.ROOT,
                  " %.1f:%.4g/J%.2f%s",
                  trial.alpha(),
                  trial.mean(),
                  trial.jaccard(),
                  trial.withinNoise() ? "*" : ""));
        }
        out.printf(
            Locale.ROOT,
            "  sparsity %.2f: alpha %.1f  (%s/Jaccard by alpha, * within noise:%s)%n",
            at.sparsity(),
            at.alpha(),
            "divergence".equals(report.alpha().by()) ? "mean KL" : "mean " + report.metric(),
            curve);
      }
    }
    for (PruneReport.AlphaComparison row : report.alphaComparison()) {
      out.printf(
          Locale.ROOT,
          "  sparsity %.2f: hies at auto alpha %.4f ± %.4f; best other %s%n",
          row.sparsity(),
          row.autoAlphaMean(),
          row.autoAlphaStd(),
          row.bestFixedCriterion() == null
              ? "(none evaluated)"
              : String.format(
                  Locale.ROOT,
                  "%s %.4f ± %.4f",
                  row.bestFixedCriterion(),
                  row.bestFixedMean(),
                  row.bestFixedStd()));
    }
    out.printf(
        Locale.ROOT,
        "target: sparsity %.2f (%s)%n",
        report.target().sparsity(),
        report.target().reason());
    out.printf(
        Locale.ROOT,
        "pruned %d heads with %s (%s): %s%n",
        report.artifact().prunedHeads().length,
        report.artifact().criterion(),
        report.artifact().selection(),
        Arrays.deepToString(report.artifact().prunedHeads()));
    PruneReport.Artifact artifact = report.artifact();
    String beaten = Pruner.beaten(report);
    if (beaten != null) {
      out.println(beaten);
    }
    if (report.recovery() != null) {
      PruneReport.RecoveryReport recovery = report.recovery();
      out.printf(
          Locale.ROOT,
          "rescale: %d head sets fitted in %.1f s; %s%n",
          recovery.fits(),
          recovery.seconds(),
          recovery.verdict());
    }
    out.printf(
        Locale.ROOT,
        "artifact: %s %.4f%s, agreement %.4f%s (its own head set on the evaluation data)%s%n",
        report.metric(),
        artifact.metric(),
        artifact.plainMetric() == null
            ? ""
            : String.format(
                Locale.ROOT, " rescaled (%.4f without rescaling)", artifact.plainMetric()),
        artifact.agreement(),
        artifact.latencyRatio() == null
            ? ""
            : String.format(Locale.ROOT, ", latency ratio %.3f", artifact.latencyRatio()),
        artifact.seeds() == null
            ? ""
            : String.format(
                Locale.ROOT,
                "; the seeds' head sets: %.4f ± %.4f over %d seed(s)",
                artifact.seeds().mean(),
                artifact.seeds().std(),
                artifact.seeds().count()));
    if (report.speedup() != null) {
      PruneReport.Speedup s = report.speedup();
      out.printf(
          Locale.ROOT,
          "parameters %d -> %d, attention FLOPs ratio %.3f%s%n",
          s.parametersBefore(),
          s.parametersAfter(),
          s.flopsRatio(),
          s.latencyRatio() == null
              ? ""
              : String.format(Locale.ROOT, ", latency ratio %.3f", s.latencyRatio()));
      if (s.kvCacheBytesPerTokenBefore() != s.kvCacheBytesPerTokenAfter()) {
        out.printf(
            Locale.ROOT,
            "KV cache %d -> %d bytes per token%n",
            s.kvCacheBytesPerTokenBefore(),
            s.kvCacheBytesPerTokenAfter());
      }
    }
    if (report.outputs() != null && report.outputs().pruned() == null) {
      out.println(report.outputs().note());
    }
    if (report.calibrations() != null) {
      printCalibrations(report.calibrations(), out);
    }
    out.flush();
  }

  private static void printCalibrations(PruneReport.CalibrationComparison c, PrintWriter out) {
    out.printf(
        Locale.ROOT, "calibration sets compared (%s, %d seeds each):%n", c.criterion(), c.seeds());
    for (PruneReport.CalibrationSet set : c.sets()) {
      out.printf(
          Locale.ROOT,
          "  %-16s %s (%d examples, %d per seed)%n",
          set.name(),
          set.source(),
          set.pool(),
          set.calibrationPerSeed());
    }
    out.printf(
        Locale.ROOT,
        "  %-16s %8s %8s %8s %10s %8s%n",
        "set",
        "sparsity",
        "mean",
        "std",
        "agreement",
        "jaccard");
    for (PruneReport.CalibrationRow row : c.rows()) {
      out.printf(
          Locale.ROOT,
          "  %-16s %8s %8.4f %8.4f %10.4f %8.4f%n",
          row.set(),
          BigDecimal.valueOf(row.sparsity()).stripTrailingZeros().toPlainString(),
          row.mean(),
          row.std(),
          row.agreementMean(),
          row.jaccardWithin());
    }
    for (PruneReport.CalibrationOverlap overlap : c.overlaps()) {
      out.printf(
          Locale.ROOT,
          "  sparsity %s: Jaccard %s vs %s %.4f%n",
          BigDecimal.valueOf(overlap.sparsity()).stripTrailingZeros().toPlainString(),
          overlap.a(),
          overlap.b(),
          overlap.jaccard());
    }
    out.println("  " + c.verdict());
  }
}
