package io.headprune.pruning;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DataSource;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.checkpoint.Tables;
import io.headprune.model.Architecture;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Progress;
import io.headprune.progress.RunStopped;
import io.headprune.pruning.PruneReport.Artifact;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScore;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.HeadSelector;
import io.headprune.scoring.Inputs;
import io.headprune.scoring.Metric;
import io.headprune.scoring.Normalization;
import io.headprune.scoring.RawScores;
import io.headprune.scoring.ScoreTable;
import io.headprune.scoring.Splits;
import io.headprune.storage.ArtifactStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * A whole pruning run: score every head per seed, evaluate every criterion at every sparsity,
 * choose α and the target, write {@code pruned/}, {@code masked/}, {@code scores.json} and {@code
 * report.json}.
 */
public final class Pruner {

  /**
   * The result of a run.
   *
   * @param scores the scores the artifact was selected with (mean over seeds)
   * @param perSeed each seed's own scores, in seed order
   * @param report the report
   */
  public record Result(ScoresDocument scores, List<ScoreTable> perSeed, PruneReport report) {

    public Result {
      perSeed = List.copyOf(perSeed);
    }
  }

  /**
   * Most calibration-pool examples a run reads (a larger file is sampled, and the report says so).
   */
  public static final int POOL_CAP = 100_000;

  /** Most evaluation-set examples a run reads (likewise). */
  public static final int EVALUATION_CAP = Splits.HELD_OUT_CAP;

  private Pruner() {}

  /** Scores every head on every example of {@code data} (the {@code score} command). */
  public static ScoresDocument score(
      Path modelDir,
      Path data,
      int maxLength,
      int batchSize,
      double alpha,
      Normalization normalization,
      Device device,
      Progress progress) {
    return score(
        modelDir,
        DataSource.of(data),
        maxLength,
        batchSize,
        alpha,
        normalization,
        device,
        progress);
  }

  /** As above, reading the data with its column mapping and recipe. */
  public static ScoresDocument score(
      Path modelDir,
      DataSource data,
      int maxLength,
      int batchSize,
      double alpha,
      Normalization normalization,
      Device device,
      Progress progress) {
    try (Checkpoint checkpoint = Models.open(modelDir);
        HeadModel model = Models.load(checkpoint, device);
        Inputs inputs = Inputs.open(checkpoint, maxLength)) {
      List<Encoded> examples =
          inputs.read(data, DatasetReader.Limits.DEFAULT, Integer.MAX_VALUE, Progress.NONE);
      RawScores raw = HeadScorer.score(model, examples, batchSize, progress);
      return ScoresDocument.of(
          ModelInfo.of(name(modelDir), model), ScoreTable.of(raw, alpha, normalization));
    }
  }

  /**
   * Where a model came from and what made its pruned version: the model card's header and its
   * reproduction section.
   *
   * @param baseModel a Hub id ({@code org/name}), {@code sha256:<hex>} of an upload, or a local
   *     directory's name
   * @param baseModelCommit the Hub commit, or null
   * @param madeBy the command line or the job that made it
   * @param request the service's job request that, submitted again, repeats the run (a JSON
   *     object); null from the command line
   */
  public record Origin(
      String baseModel, String baseModelCommit, String madeBy, Map<String, Object> request) {

    /** An origin without a service request (the command line, tests). */
    public Origin(String baseModel, String baseModelCommit, String madeBy) {
      this(baseModel, baseModelCommit, madeBy, null);
    }
  }

  /**
   * Runs {@code request}'s options on its model: calibrating on its calibration data (and scoring,
   * selecting and evaluating the sets it compares the same way), evaluating on its evaluation data
   * (or a held-out part of the pool when it has none); writes the outputs when it names where.
   * After each batch it reports, it checks the request's stop token: a stop unwinds by {@link
   * RunStopped}, leaving nothing in {@code out} but what its caller clears.
   */
  public static Result prune(PruneRequest request) {
    Path modelDir = request.modelDir();
    String modelName = request.modelName();
    Origin origin = request.origin();
    DataSource data = request.calibration();
    List<DataSource> compared = request.compared();
    DataSource eval = request.evaluation();
    PruneOptions options = request.options();
    Path out = request.out();
    Device device = request.device();
    Progress progress = request.stop().checkedAfter(request.progress());
    checkOutput(out);
    Instant started = Instant.now();
    try (Checkpoint checkpoint = Models.open(modelDir);
        HeadModel model = Models.load(checkpoint, device);
        Inputs inputs = Inputs.open(checkpoint, options.maxLength())) {
      checkFits(options, checkpoint.config());
      List<Encoded> pool = inputs.read(data, DatasetReader.Limits.DEFAULT, POOL_CAP, progress);
      int poolRows = inputs.rowsRead();
      List<Encoded> evaluationSet =
          eval == null
              ? null
              : inputs.read(eval, DatasetReader.Limits.DEFAULT, EVALUATION_CAP, progress);
      int evaluationRows = eval == null ? 0 : inputs.rowsRead();
      double evaluationFraction = eval == null ? options.evaluationFraction() : 0;
      Splits splits =
          Splits.of(
              pool.size(),
              validationFraction(options, pool.size(), evaluationFraction),
              evaluationFraction);
      List<Comparisons.ComparedSet> others = new ArrayList<>();
      for (int i = 0; i < compared.size(); i++) {
        DataSource source = compared.get(i);
        List<Encoded> examples =
            inputs.read(source, DatasetReader.Limits.DEFAULT, POOL_CAP, progress);
        if (examples.stream().anyMatch(e -> e.choices() != null)) {
          throw new InvalidInputException(
              "calibrations["
                  + (i + 1)
                  + "] ("
                  + source.name()
                  + ") holds multiple-choice items: calibrate on text");
        }
        others.add(
            new Comparisons.ComparedSet(
                "calibrations[" + (i + 1) + "]", source.label(), examples, inputs.rowsRead()));
      }
      Run run =
          new Run(model, options, progress, pool, splits, evaluationSet, poolRows, evaluationRows);
      Run.Outcome outcome = run.execute(ModelInfo.of(modelName, model), data.label(), others);
      if (out != null) {
        return Artifacts.write(
            checkpoint,
            model,
            options,
            outcome,
            new ModelCard.Provenance(
                origin.baseModel(),
                origin.baseModelCommit(),
                origin.madeBy(),
                origin.request(),
                inputs(data, compared, eval),
                started,
                hubDatasets(data, compared, eval),
                eval == null ? null : eval.hub() != null ? eval.hub() : eval.label()),
            out,
            device,
            progress);
      }
      // nothing written: a report without speed-up, outputs or provenance
      return new Result(
          outcome.scores(),
          outcome.perSeed(),
          PruneReport.of(outcome.findings(), null, null, null));
    }
  }

  /**
   * The share of the pool only α's choice sees: a validation split for the metric rule; for the
   * divergence rule none when calibration draws leave pool examples unused (those are its held-out
   * examples), else the same split, unlabeled.
   */
  static double validationFraction(PruneOptions options, int poolSize, double evaluationFraction) {
    if (!(options.alpha() instanceof Alpha.Auto auto)) {
      return 0;
    }
    long calibrationPart = poolSize - Math.round(poolSize * evaluationFraction);
    boolean unusedLeft =
        options.calibrationSize() != null && options.calibrationSize() < calibrationPart;
    return auto.by() == Alpha.Rule.DIVERGENCE && unusedLeft ? 0 : options.validationFraction();
  }

  /** SHA-256 of the calibration data, of the compared sets and of the evaluation data, if given. */
  private static Map<String, String> inputs(
      DataSource data, List<DataSource> compared, DataSource eval) {
    Map<String, String> inputs = new LinkedHashMap<>();
    try {
      inputs.put("calibration", sha256(data.path()));
      for (int i = 0; i < compared.size(); i++) {
        inputs.put("calibrations[" + (i + 1) + "]", sha256(compared.get(i).path()));
      }
      if (eval != null) {
        inputs.put("evaluation", sha256(eval.path()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("hashing the input data", e);
    }
    return inputs;
  }

  /** The Hub dataset repositories among the data, in order, each once. */
  private static List<String> hubDatasets(
      DataSource data, List<DataSource> compared, DataSource eval) {
    Set<String> repos = new LinkedHashSet<>();
    List<DataSource> all = new ArrayList<>();
    all.add(data);
    all.addAll(compared);
    if (eval != null) {
      all.add(eval);
    }
    for (DataSource source : all) {
      if (source.hub() != null) {
        repos.add(source.hub());
      }
    }
    return List.copyOf(repos);
  }

  /** A file's SHA-256, or a stored split's: that of its manifest (which names its shards). */
  private static String sha256(Path data) throws IOException {
    return ArtifactStore.sha256(Files.isDirectory(data) ? data.resolve(Tables.MANIFEST) : data);
  }

  private static String name(Path modelDir) {
    Path file = modelDir.toAbsolutePath().normalize().getFileName();
    return file == null ? modelDir.toString() : file.toString();
  }

  /** Selection for one criterion on one seed's scores. */
  static List<HeadRef> select(
      Criterion criterion,
      ScoreTable table,
      ToDoubleFunction<HeadRef> weightNorms,
      long seed,
      double sparsity,
      int minHeads) {
    List<HeadRef> heads = table.heads().stream().map(HeadScore::ref).toList();
    return HeadSelector.select(
        heads, criterion.scores(table, weightNorms, seed), sparsity, minHeads);
  }

  /** Mean of raw scores over seeds: the scores the artifact is selected with. */
  static RawScores mean(List<RawScores> perSeed) {
    RawScores first = perSeed.get(0);
    double[][] his = new double[first.his().length][];
    double[][] entropy = new double[first.his().length][];
    int examples = 0;
    for (int l = 0; l < his.length; l++) {
      his[l] = new double[first.his()[l].length];
      entropy[l] = new double[first.his()[l].length];
      for (RawScores raw : perSeed) {
        for (int h = 0; h < his[l].length; h++) {
          his[l][h] += raw.his()[l][h] / perSeed.size();
          entropy[l][h] += raw.entropy()[l][h] / perSeed.size();
        }
      }
    }
    for (RawScores raw : perSeed) {
      examples = Math.max(examples, raw.examples());
    }
    return new RawScores(first.heads(), his, entropy, examples);
  }

  /**
   * A sentence when another criterion beat the artifact's at the target sparsity, with the numbers;
   * null when none did.
   */
  public static String beaten(PruneReport report) {
    return Summaries.beaten(report);
  }

  static int[][] pairs(List<HeadRef> heads) {
    return heads.stream().map(h -> new int[] {h.layer(), h.head()}).toArray(int[][]::new);
  }

  static void checkOutput(Path out) {
    if (out != null && Files.exists(out.resolve("pruned"))) {
      throw new InvalidInputException("output directory " + out + " already holds a pruned model");
    }
  }

  static Artifact artifact(
      Criterion criterion,
      double sparsity,
      PruneOptions options,
      List<HeadRef> heads,
      double metric,
      double agreement,
      PruneReport.Spread seeds) {
    String selection =
        options.iterative()
            ? "iterative, step " + options.step()
            : options.uniformGroups()
                ? "uniform-groups"
                    + (options.loadableByV5() ? ", loadable by transformers v5" : "")
                    + (options.tensorParallel() > 1
                        ? ", served by vLLM with tensor parallelism " + options.tensorParallel()
                        : "")
                : "one-shot";
    return new Artifact(
        criterion.id(),
        sparsity,
        selection,
        pairs(heads),
        metric,
        agreement,
        null,
        seeds,
        Recovery.NONE.id(),
        null,
        null);
  }

  static List<Double> grid(double step) {
    List<Double> grid = new ArrayList<>();
    for (int i = 1; i * step < 1 - 1e-9; i++) {
      grid.add(Math.round(i * step * 1e6) / 1e6);
    }
    return grid;
  }

  /**
   * The metric of a run: the requested one, or the task's — perplexity for a causal LM (accuracy on
   * multiple-choice evaluation data), accuracy or Pearson for a classifier.
   */
  static Metric metric(PruneOptions options, HeadModel model, boolean choices) {
    if (model.config().languageModel()) {
      Metric metric = choices ? Metric.ACCURACY : Metric.PERPLEXITY;
      if (choices && options.metric() == Metric.ACC_NORM) {
        return Metric.ACC_NORM;
      }
      if (options.metric() != null && options.metric() != metric) {
        throw new InvalidInputException(
            "metric "
                + options.metric().id()
                + " does not apply to a causal language model "
                + "evaluated on "
                + (choices ? "multiple-choice items (accuracy or acc_norm)" : "text (perplexity)"));
      }
      return metric;
    }
    return classifierMetric(options, model.config());
  }

  /**
   * Whether {@code options} can run on a model of {@code config}: uniform groups only where the
   * pruned checkpoint is a stock config with fewer heads, {@code minHeadsPerLayer} within the
   * smallest layer, a classifier's metric applicable to its labels. The one check of these, made
   * where the model becomes known: on submission for an uploaded model, here for a Hub model and
   * the command line.
   */
  public static void checkFits(PruneOptions options, ModelConfig config) {
    if (options.uniformGroups()
        && Models.architecture(config).physicalPruning()
            != Architecture.PhysicalPruning.REDUCED_COUNTS) {
      throw new InvalidInputException(
          "uniform-groups selection removes whole key/value groups for models whose pruned"
              + " checkpoint is a stock config with fewer heads; this model records pruned_heads"
              + " instead: use one-shot or iterative selection");
    }
    int fewest =
        IntStream.range(0, config.layers())
            .map(l -> config.remainingHeads(l).length)
            .min()
            .orElse(0);
    if (options.minHeadsPerLayer() > fewest) {
      throw new InvalidInputException(
          "minHeadsPerLayer "
              + options.minHeadsPerLayer()
              + " is more than the "
              + fewest
              + " heads of this model's smallest layer");
    }
    if (!config.languageModel()) { // a language model's metric depends on its data's kind
      classifierMetric(options, config);
    }
  }

  /** A classifier's metric: the requested one if its labels allow it, else its task's. */
  private static Metric classifierMetric(PruneOptions options, ModelConfig config) {
    var labels = config.labels();
    Metric metric =
        options.metric() != null ? options.metric() : Metric.defaultFor(labels.regression());
    metric.checkApplies(labels.regression(), labels.count());
    return metric;
  }
}
