package io.headprune.pruning;

import io.headprune.scoring.ScaledHeads;
import jakarta.annotation.Nullable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The contents of {@code report.json}: what pruning cost in quality, how stable it was across
 * seeds, and what it gained in size and speed.
 *
 * @param model the input model
 * @param metric the task metric every value is in
 * @param dense the unpruned model's metric on the evaluation set
 * @param data sizes of the parts of the data
 * @param evaluations one row per criterion × sparsity × seed
 * @param summary one row per criterion × sparsity, over seeds
 * @param alpha the HIES weight used and, when automatic, the grid's validation results
 * @param alphaComparison with automatic α: per sparsity, HIES at the chosen α beside the best other
 *     criterion evaluated (empty otherwise)
 * @param target the artifact's sparsity and why
 * @param artifact the heads the artifact has removed
 * @param speedup parameters, attention FLOPs, KV cache and latency before and after (as the other
 *     two below, absent only from a run that wrote no outputs: never in a job's report)
 * @param outputs which checkpoints were written and what loads them
 * @param provenance how the run was made
 * @param calibrations calibration sets compared in the run (null when only one was given)
 * @param recovery with {@code recovery: rescale}: per criterion and sparsity, the seeds' metric
 *     without and with rescaling, and its cost (null without recovery)
 */
public record PruneReport(
    ModelInfo model,
    String metric,
    Dense dense,
    DataSizes data,
    List<EvaluationRow> evaluations,
    List<SummaryRow> summary,
    AlphaChoice alpha,
    List<AlphaComparison> alphaComparison,
    TargetChoice target,
    Artifact artifact,
    Speedup speedup,
    Outputs outputs,
    Provenance provenance,
    @Nullable CalibrationComparison calibrations,
    @Nullable RecoveryReport recovery) {

  /**
   * What a run found, before its outputs are written and measured: every part of the report but the
   * speed-up, the outputs and the provenance.
   */
  record Findings(
      ModelInfo model,
      String metric,
      Dense dense,
      DataSizes data,
      List<EvaluationRow> evaluations,
      List<SummaryRow> summary,
      AlphaChoice alpha,
      List<AlphaComparison> alphaComparison,
      TargetChoice target,
      Artifact artifact,
      @Nullable CalibrationComparison calibrations,
      @Nullable RecoveryReport recovery) {}

  /**
   * The report of a run that found {@code findings}, its outputs measured as {@code speedup} (the
   * artifact's latency ratio from it), written as {@code outputs}, made as {@code provenance}:
   * built once, when all of them are known (all null for a run that writes no outputs).
   */
  static PruneReport of(
      Findings findings, Speedup speedup, Outputs outputs, Provenance provenance) {
    return new PruneReport(
        findings.model(),
        findings.metric(),
        findings.dense(),
        findings.data(),
        findings.evaluations(),
        findings.summary(),
        findings.alpha(),
        findings.alphaComparison(),
        findings.target(),
        speedup == null
            ? findings.artifact()
            : findings.artifact().withLatencyRatio(speedup.latencyRatio()),
        speedup,
        outputs,
        provenance,
        findings.calibrations(),
        findings.recovery());
  }

  /**
   * How the run was made, enough to repeat it.
   *
   * @param baseModel the model's origin: a Hub id, {@code sha256:} of an upload, or a directory
   * @param baseModelCommit the Hub commit, or null
   * @param madeBy the command line or the job
   * @param request the job request that, submitted again to the service that ran it, repeats the
   *     run: every default explicit, a Hub model's revision its commit, no callback (null from the
   *     command line)
   * @param inputs SHA-256 of the calibration data and, if given, the evaluation data
   * @param options every option of the run
   * @param versions headprune, DJL and PyTorch
   * @param device where it ran
   * @param startedAt when the run started
   * @param finishedAt when its outputs were written
   */
  public record Provenance(
      String baseModel,
      @Nullable String baseModelCommit,
      String madeBy,
      @Nullable Map<String, Object> request,
      Map<String, String> inputs,
      PruneOptions options,
      Map<String, String> versions,
      String device,
      Instant startedAt,
      Instant finishedAt) {}

  /** The unpruned model's metric and value. */
  public record Dense(String metric, double value) {}

  /**
   * Sizes of the data parts.
   *
   * @param pool calibration pool examples
   * @param calibrationPerSeed examples each seed scores
   * @param validation held out for α selection
   * @param evaluation evaluation examples
   * @param evaluationSource "evaluation set" or "held-out part of the calibration pool"
   * @param seeds seeds run
   * @param poolRows rows of the calibration file (more than {@code pool} when it was sampled)
   * @param evaluationRows rows of the evaluation file (0 without one; more than used when sampled)
   * @param samples per seed (seed i draws with java.util.Random(i)), the SHA-256 of its calibration
   *     sample's pool indices, ascending, written as decimal numbers joined by commas: two runs
   *     scored the same examples when these agree
   */
  public record DataSizes(
      int pool,
      int calibrationPerSeed,
      int validation,
      int evaluation,
      String evaluationSource,
      int seeds,
      int poolRows,
      int evaluationRows,
      List<String> samples) {

    /** The hash {@link #samples} records for one seed's pool {@code indices}. */
    public static String sampleHash(List<Integer> indices) {
      try {
        byte[] digest =
            MessageDigest.getInstance("SHA-256")
                .digest(
                    indices.stream()
                        .sorted()
                        .map(String::valueOf)
                        .collect(Collectors.joining(","))
                        .getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is part of every JDK", e);
      }
    }
  }

  /**
   * One evaluation. {@code agreement} is the share of evaluation examples predicted as the unpruned
   * model predicts them: headprune's stability proxy.
   */
  public record EvaluationRow(
      String criterion,
      double sparsity,
      int seed,
      String metric,
      double value,
      double agreement,
      int[][] prunedHeads) {}

  /**
   * Mean and sample standard deviation (n − 1) across seeds, mean agreement, and the mean Jaccard
   * overlap of the pruned-head sets across seed pairs.
   */
  public record SummaryRow(
      String criterion,
      double sparsity,
      double mean,
      double std,
      double agreementMean,
      double jaccardMean) {}

  /**
   * One α of the automatic grid at one sparsity: the rule's mean over seeds (mean KL for
   * divergence, the mean metric for metric), the standard error of that mean, the mean Jaccard of
   * the seeds' head selections at this α, and whether its mean is within one standard error of the
   * best mean (the candidates the most stable α is chosen from).
   */
  public record AlphaTrial(
      double alpha, double mean, double standardError, double jaccard, boolean withinNoise) {

    /** A trial before it is compared with the others. */
    public AlphaTrial(double alpha, double mean, double standardError, double jaccard) {
      this(alpha, mean, standardError, jaccard, false);
    }
  }

  /** At one sparsity: the α used and, when it was chosen, the grid it was chosen from. */
  public record AlphaAtSparsity(double sparsity, double alpha, List<AlphaTrial> grid) {}

  /**
   * How α was set.
   *
   * @param value the α of the artifact (its sparsity's α)
   * @param auto whether α was chosen per sparsity
   * @param by divergence or metric (null for a fixed α)
   * @param heldOutExamples examples per seed the rule measured on: held-out pool examples no
   *     calibration draw of the seed used (divergence), or the validation split (metric)
   * @param perSparsity the α at every sparsity evaluated, and at the artifact's
   * @param explanation the choice of the artifact's α in one sentence
   */
  public record AlphaChoice(
      double value,
      boolean auto,
      @Nullable String by,
      int heldOutExamples,
      List<AlphaAtSparsity> perSparsity,
      String explanation) {}

  /**
   * At one sparsity: HIES with the automatically chosen α, and the best other criterion.
   *
   * @param bestFixedCriterion the other criterion with the highest mean (null if none was
   *     evaluated)
   */
  public record AlphaComparison(
      double sparsity,
      double autoAlphaMean,
      double autoAlphaStd,
      @Nullable String bestFixedCriterion,
      @Nullable Double bestFixedMean,
      @Nullable Double bestFixedStd) {}

  /** The artifact's sparsity, how it was chosen, and why. */
  public record TargetChoice(
      String kind,
      double sparsity,
      @Nullable Double maxMetricDrop,
      @Nullable Double meanMetric,
      String reason) {}

  /**
   * The written artifact: its criterion, sparsity, selection ("one-shot" or "iterative, step …")
   * and heads, and what it measured itself — its own head set evaluated on the evaluation data like
   * every grid cell — beside the spread of the seeds' head sets (which are not the artifact's).
   *
   * @param metric the artifact's metric on the evaluation data (the report's {@code metric})
   * @param agreement the share of evaluation examples (positions, for a causal LM) it predicts as
   *     the unpruned model does
   * @param latencyRatio measured unpruned / artifact latency (above 1: faster), or null when not
   *     measured or when only {@code masked/} was written
   * @param seeds the metric of the seeds' own head sets at this criterion and sparsity (rescaled
   *     too when the artifact is), or null when the grid has no such cell
   * @param recovery none, or rescale: the kept heads' output projections hold fitted scales
   * @param plainMetric with rescaling, the artifact's metric without it (null otherwise)
   * @param scales with rescaling, per layer, each head's scale (0 for a pruned head) in the order
   *     of the model's heads (null otherwise)
   */
  public record Artifact(
      String criterion,
      double sparsity,
      String selection,
      int[][] prunedHeads,
      double metric,
      double agreement,
      @Nullable Double latencyRatio,
      @Nullable Spread seeds,
      String recovery,
      @Nullable Double plainMetric,
      @Nullable double[][] scales) {

    /** The same artifact with its measured latency ratio. */
    Artifact withLatencyRatio(Double ratio) {
      return new Artifact(
          criterion,
          sparsity,
          selection,
          prunedHeads,
          metric,
          agreement,
          ratio,
          seeds,
          recovery,
          plainMetric,
          scales);
    }

    /** The same artifact marked with its recovery, its metric without it, and its scales. */
    Artifact rescaled(Recovery recovery, Double plain, ScaledHeads scales) {
      return new Artifact(
          criterion,
          sparsity,
          selection,
          prunedHeads,
          metric,
          agreement,
          latencyRatio,
          seeds,
          recovery.id(),
          plain,
          scales == null ? null : scales.scales());
    }

    /** What the artifact measured, as a job's result gives it. */
    public Measured measured() {
      return new Measured(metric, agreement, latencyRatio, seeds, recovery, plainMetric);
    }
  }

  /**
   * Recovery by rescaling, measured per seed: for every criterion and sparsity of the grid, the
   * seeds' metric without and with rescaling, paired by seed.
   *
   * @param method rescale
   * @param ridge the ridge weight toward 1, relative to the mean squared norm of a head's output
   * @param fits how many head sets were fitted (grid cells and the artifact)
   * @param seconds the time the fits took, in total
   * @param rows per criterion and sparsity
   * @param verdict one sentence: where rescaling helped, and whether it ever hurt on average
   */
  public record RecoveryReport(
      String method,
      double ridge,
      int fits,
      double seconds,
      List<RecoveryRow> rows,
      String verdict) {}

  /**
   * One criterion at one sparsity, with and without rescaling.
   *
   * @param plain the seeds' metric without rescaling
   * @param rescaled the same head sets rescaled
   * @param better seeds on which rescaling gave a better metric
   * @param worse seeds on which it gave a worse one
   */
  public record RecoveryRow(
      String criterion, double sparsity, Spread plain, Spread rescaled, int better, int worse) {}

  /**
   * What the artifact measured itself (see {@link Artifact}).
   *
   * @param metric its metric on the evaluation data
   * @param agreement its agreement with the unpruned model
   * @param latencyRatio unpruned / artifact latency, or null when not measured
   * @param seeds the seeds' head sets' metric at the same criterion and sparsity, or null
   * @param recovery none or rescale
   * @param plainMetric with rescaling, its metric without (null otherwise)
   */
  public record Measured(
      double metric,
      double agreement,
      @Nullable Double latencyRatio,
      @Nullable Spread seeds,
      String recovery,
      @Nullable Double plainMetric) {}

  /**
   * The metric of the seeds' head sets at one criterion and sparsity: mean and sample standard
   * deviation over {@code count} seeds.
   */
  public record Spread(double mean, double std, int count) {}

  /**
   * Size and speed before and after physical pruning (equal before and after when only {@code
   * masked/} could be written).
   *
   * @param flopsRatio attention FLOPs before / after (per token at the evaluation set's mean
   *     length)
   * @param latencyRatio measured dense / pruned latency on the evaluation batches (null if not
   *     measured)
   * @param attentionFlopsBefore attention FLOPs per token before
   * @param attentionFlopsAfter attention FLOPs per token after
   * @param kvCacheBytesPerTokenBefore bytes of keys and values cached per token, all layers, in the
   *     weights' dtype
   * @param kvCacheBytesPerTokenAfter the same after pruning
   */
  public record Speedup(
      long parametersBefore,
      long parametersAfter,
      double flopsRatio,
      @Nullable Double latencyRatio,
      @Nullable Double latencyDenseMillis,
      @Nullable Double latencyPrunedMillis,
      double attentionFlopsBefore,
      double attentionFlopsAfter,
      long kvCacheBytesPerTokenBefore,
      long kvCacheBytesPerTokenAfter) {}

  /**
   * The checkpoints written.
   *
   * @param pruned "pruned/", or null when the selection cannot be written as a smaller model
   * @param masked "masked/"
   * @param note why pruned/ is missing, and which transformers versions load what
   */
  public record Outputs(@Nullable String pruned, String masked, @Nullable String note) {}

  /**
   * Calibration sets compared in one run: each scored on its own seeded draws, selected by the
   * artifact's criterion and evaluated on the run's evaluation data.
   *
   * @param criterion the criterion every set's heads were selected by
   * @param seeds seeds per set
   * @param sets the run's own calibration set first, then the compared ones
   * @param rows per sparsity and set: the metric over seeds and the seeds' agreement on heads
   * @param overlaps per sparsity and pair of sets: how much their selections share
   * @param verdict whether the choice of data mattered, with the numbers: the metrics of the best
   *     and the worst set where they differ most (Welch's t-test over the seeds) and the Jaccard
   *     between sets against that within a set
   */
  public record CalibrationComparison(
      String criterion,
      int seeds,
      List<CalibrationSet> sets,
      List<CalibrationRow> rows,
      List<CalibrationOverlap> overlaps,
      String verdict) {}

  /**
   * One calibration set of a comparison.
   *
   * @param name {@code calibration} for the run's own, {@code calibrations[i]} for the others
   * @param source the file, stored dataset or Hub split it came from
   * @param pool examples it offered to the seeds' draws
   * @param rows rows its data had (more than {@code pool} when it was sampled)
   * @param calibrationPerSeed examples each seed scored
   */
  public record CalibrationSet(
      String name, String source, int pool, int rows, int calibrationPerSeed) {}

  /**
   * One set at one sparsity: its selections' metric (mean and sample std over seeds, and each
   * seed's), their mean agreement with the unpruned model, and the mean Jaccard of its seeds'
   * selections.
   */
  public record CalibrationRow(
      String set,
      double sparsity,
      double mean,
      double std,
      double[] perSeed,
      double agreementMean,
      double jaccardWithin) {}

  /**
   * Two sets at one sparsity: the mean Jaccard between their selections over every pair of seeds.
   */
  public record CalibrationOverlap(double sparsity, String a, String b, double jaccard) {}
}
