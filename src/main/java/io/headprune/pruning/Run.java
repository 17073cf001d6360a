package io.headprune.pruning;

import io.headprune.model.HeadModel;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import io.headprune.pruning.Evaluations.Evaluation;
import io.headprune.pruning.Evaluations.Part;
import io.headprune.pruning.PruneReport.EvaluationRow;
import io.headprune.pruning.PruneReport.SummaryRow;
import io.headprune.pruning.PruneReport.TargetChoice;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.Metric;
import io.headprune.scoring.RawScores;
import io.headprune.scoring.ScaledHeads;
import io.headprune.scoring.ScoreTable;
import io.headprune.scoring.Splits;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * One pruning run on its data: the story of {@link #execute} — scores per seed ({@link
 * SeedScores}), α per sparsity on first need ({@link AlphaSearch}), the grid's evaluations ({@link
 * Evaluations}), the target ({@link TargetSearch}), the artifact's heads ({@link HeadSelection}),
 * the artifact measured, the report.
 */
final class Run {

  final HeadModel model;
  final PruneOptions options;
  private final RunProgress account;
  final Metric metric;
  private final Evaluations evaluations;
  private final HeadSelection selection;
  final Part evaluation;
  final Part validation;
  final int poolSize;
  final int calibrationPerSeed;
  final String evaluationSource;
  private final boolean evaluationGiven;
  private final List<Encoded> pool;
  private final Splits splits;
  private final int poolRows;
  private final int evaluationRows;

  Run(
      HeadModel model,
      PruneOptions options,
      Progress progress,
      List<Encoded> pool,
      Splits splits,
      List<Encoded> evaluationSet,
      int poolRows,
      int evaluationRows) {
    this.poolRows = poolRows;
    this.evaluationRows = evaluationRows;
    this.model = model;
    this.options = options;
    this.account = new RunProgress(progress);
    this.metric =
        Pruner.metric(
            options,
            model,
            evaluationSet != null
                && !evaluationSet.isEmpty()
                && evaluationSet.get(0).choices() != null);
    this.evaluations = new Evaluations(model, metric, evaluationBatch(options), account);
    this.selection = new HeadSelection(model, options, account);
    this.pool = pool;
    this.splits = splits;
    this.poolSize = pool.size();
    this.evaluationSource =
        evaluationSet != null ? "evaluation set" : "held-out part of the calibration pool";
    this.evaluationGiven = evaluationSet != null;
    plan(evaluationSet == null ? null : evaluationSet.size(), List.of());
    this.evaluation =
        evaluations.part(evaluationSet != null ? evaluationSet : pick(splits.evaluation()));
    this.validation =
        splits.validation().isEmpty() ? null : evaluations.part(pick(splits.validation()));
    int wanted = options.calibrationSize() == null ? Integer.MAX_VALUE : options.calibrationSize();
    this.calibrationPerSeed = Math.min(wanted, splits.calibration().size());
  }

  /** The plan of this run on its data and {@code others}, sent to the progress it was given. */
  private void plan(Integer evaluationExamples, List<Comparisons.ComparedSet> others) {
    account.plan(
        Plan.of(
            options,
            pool.size(),
            evaluationExamples,
            others.stream().map(other -> other.pool().size()).toList()));
  }

  /** Examples per evaluation batch: no model state is kept, so larger than scoring's. */
  private static int evaluationBatch(PruneOptions options) {
    return Math.max(options.batchSize(), 64);
  }

  private List<Encoded> pick(List<Integer> indices) {
    return indices.stream().map(pool::get).toList();
  }

  /**
   * What a run hands to the writer of its outputs.
   *
   * @param scores the artifact's scores (scores.json)
   * @param perSeed every seed's scores at the artifact's α
   * @param findings what the report says before the outputs are written
   * @param heads the heads the artifact prunes
   * @param evaluationExamples the examples latency is measured on
   * @param scales with rescaling, the artifact's heads off and kept heads' scales (else null)
   */
  record Outcome(
      ScoresDocument scores,
      List<ScoreTable> perSeed,
      PruneReport.Findings findings,
      List<HeadRef> heads,
      List<Encoded> evaluationExamples,
      ScaledHeads scales) {

    /** What the checkpoints are written from: the heads off, with their scales if rescaled. */
    Collection<HeadRef> written() {
      return scales != null ? scales : heads;
    }
  }

  /** The heads the artifact prunes, the table they were selected on, and the α of that table. */
  private record Artifact(List<HeadRef> heads, ScoreTable table, double alpha) {}

  /** The artifact's own head set measured on the evaluation part, rescaled when asked. */
  private record Measured(Evaluation evaluation, ScaledHeads scales, Double plainMetric) {}

  /**
   * The experiment, top to bottom: scores per seed → (α per sparsity, on first need) → evaluations
   * → target → the artifact's selection → the report.
   */
  Outcome execute(ModelInfo info) {
    return execute(info, null, List.of());
  }

  /** As above, comparing the run's own calibration set ({@code ownSource}) with {@code others}. */
  Outcome execute(ModelInfo info, String ownSource, List<Comparisons.ComparedSet> others) {
    if (!others.isEmpty()) {
      plan(evaluationGiven ? evaluation.examples().size() : null, others);
    }
    SeedScores scores = SeedScores.score(model, options, pool, splits, calibrationPerSeed, account);
    if (!options.iterative()) {
      account.settle(Phase.SCORE);
    }
    Recoveries recoveries = new Recoveries(model, options, evaluations, evaluation, account);
    AlphaSearch alphas =
        new AlphaSearch(
            model,
            options,
            metric,
            scores.perSeed(),
            selection,
            evaluations,
            validation,
            this::heldOutExamples,
            evaluationBatch(options),
            account);
    List<EvaluationRow> rows = evaluateGrid(scores, alphas, recoveries);
    TargetChoice target =
        TargetSearch.choose(
            options,
            metric,
            evaluation.denseValue(),
            scores.perSeed().size(),
            (sparsity, measuring) -> meanAt(sparsity, scores, alphas, measuring),
            account);
    account.event(
        "target",
        String.format(Locale.ROOT, "sparsity %s: %s", target.sparsity(), target.reason()));
    Artifact artifact = selectArtifact(target.sparsity(), scores, alphas);
    account.settle(Phase.SCORE, Phase.DENSE, Phase.ALPHA, Phase.TARGET);
    PruneReport.CalibrationComparison calibrations =
        others.isEmpty()
            ? null
            : new Comparisons(
                    model,
                    options,
                    selection,
                    evaluations,
                    evaluation,
                    account,
                    splits.calibration().size(),
                    poolRows,
                    calibrationPerSeed)
                .compare(ownSource, others, scores, alphas);
    account.settle(Phase.COMPARE);
    List<SummaryRow> summary = Summaries.of(rows, options.seeds());
    Measured measured = measure(artifact, scores, recoveries);
    account.settle(Phase.values());
    return outcome(
        info, scores, alphas, recoveries, rows, summary, target, artifact, measured, calibrations);
  }

  /**
   * Every cell of the grid — a criterion at a sparsity on a seed — selected first, then the
   * distinct head sets evaluated together, so that sets agreeing on their lower layers' gates share
   * those layers' passes; with rescaling, every cell rescaled too.
   */
  private List<EvaluationRow> evaluateGrid(
      SeedScores scores, AlphaSearch alphas, Recoveries recoveries) {
    List<Cell> cells = new ArrayList<>();
    for (Criterion criterion : options.criteria()) {
      for (double sparsity : options.sparsities()) {
        for (int seed = 0; seed < scores.perSeed().size(); seed++) {
          cells.add(
              new Cell(
                  criterion,
                  sparsity,
                  seed,
                  selection.select(
                      criterion,
                      seed,
                      sparsity,
                      alphas.at(sparsity),
                      scores.perSeed().get(seed),
                      scores.samples().get(seed))));
        }
      }
    }
    evaluations.evaluateAll(
        cells.stream().map(Cell::heads).toList(), evaluation, cells.size(), Phase.EVALUATE);
    List<EvaluationRow> rows = new ArrayList<>();
    for (Cell cell : cells) {
      rows.add(
          cell.row(cell.criterion().id(), evaluations.evaluate(cell.heads(), evaluation), metric));
    }
    if (options.recovery() == Recovery.RESCALE) {
      rows.addAll(recoveries.recoverAll(cells, scores));
    }
    return rows;
  }

  /**
   * The seeds' mean metric with the artifact's criterion at {@code sparsity} (at its α), their sets
   * evaluated in one shared run: what the target search measures.
   */
  private double meanAt(
      double sparsity, SeedScores scores, AlphaSearch alphas, TargetSearch.Measuring measuring) {
    // an automatic α is chosen at each visited sparsity by the same rule
    double alpha = alphas.at(sparsity);
    List<List<HeadRef>> sets = new ArrayList<>();
    for (int seed = 0; seed < scores.perSeed().size(); seed++) {
      sets.add(
          selection.select(
              options.criterion(),
              seed,
              sparsity,
              alpha,
              scores.perSeed().get(seed),
              scores.samples().get(seed)));
    }
    evaluations.evaluateAll(
        sets,
        evaluation,
        sets.size(),
        Phase.TARGET,
        (name, step, steps) -> measuring.report(step, steps));
    double sum = 0;
    for (List<HeadRef> set : sets) {
      sum += evaluations.evaluate(set, evaluation).value();
    }
    return sum / scores.perSeed().size();
  }

  /**
   * The artifact's heads at {@code sparsity}: selected on the seeds' mean scores at that sparsity's
   * α, one-shot or iteratively re-scored on every seed's sample.
   */
  private Artifact selectArtifact(double sparsity, SeedScores scores, AlphaSearch alphas) {
    double alpha = alphas.at(sparsity);
    ScoreTable table = ScoreTable.of(scores.mean(), alpha, options.normalization());
    List<HeadRef> heads =
        options.iterative()
            ? HeadSelection.iterative(
                options.criterion(),
                0,
                sparsity,
                alpha,
                table,
                pruned -> {
                  List<RawScores> rescored = new ArrayList<>();
                  scores
                      .samples()
                      .forEach(sample -> rescored.add(selection.rescore(sample, pruned)));
                  return Pruner.mean(rescored);
                },
                options,
                selection.norms())
            : selection.oneShot(options.criterion(), table, 0, sparsity);
    return new Artifact(heads, table, alpha);
  }

  /** The artifact's own head set, measured like every cell: what the user downloads. */
  private Measured measure(Artifact artifact, SeedScores scores, Recoveries recoveries) {
    Evaluation measured = evaluations.evaluate(artifact.heads(), evaluation);
    if (options.recovery() != Recovery.RESCALE || artifact.heads().isEmpty()) {
      return new Measured(measured, null, null);
    }
    account.reports().report(Phase.RECOVER, 0, 1);
    ScaledHeads scales = recoveries.fit(Recoveries.union(scores.samples()), artifact.heads());
    Evaluation rescaled = evaluations.evaluateScaled(scales, evaluation);
    account.reports().report(Phase.RECOVER, 1, 1);
    return new Measured(rescaled, scales, measured.value());
  }

  /** The run's outcome: what its report says, the artifact's scores and heads. */
  private Outcome outcome(
      ModelInfo info,
      SeedScores scores,
      AlphaSearch alphas,
      Recoveries recoveries,
      List<EvaluationRow> rows,
      List<SummaryRow> summary,
      TargetChoice target,
      Artifact artifact,
      Measured measured,
      PruneReport.CalibrationComparison calibrations) {
    String ownCriterion = Summaries.rowName(options.criterion().id(), options.recovery());
    PruneReport.Findings findings =
        new PruneReport.Findings(
            info,
            metric.id(),
            new PruneReport.Dense(metric.id(), evaluation.denseValue()),
            new PruneReport.DataSizes(
                poolSize,
                calibrationPerSeed,
                validation == null ? 0 : validation.examples().size(),
                evaluation.examples().size(),
                evaluationSource,
                options.seeds(),
                poolRows,
                evaluationRows,
                scores.hashes()),
            rows,
            summary,
            alphas.report(artifact.alpha(), target.sparsity()),
            options.alpha() instanceof Alpha.Auto ? Summaries.compare(summary, metric) : List.of(),
            target,
            Pruner.artifact(
                    options.criterion(),
                    target.sparsity(),
                    options,
                    artifact.heads(),
                    measured.evaluation().value(),
                    measured.evaluation().agreement(),
                    summary.stream()
                        .filter(
                            row ->
                                row.criterion().equals(ownCriterion)
                                    && row.sparsity() == target.sparsity())
                        .findFirst()
                        .map(
                            row ->
                                new PruneReport.Spread(
                                    row.mean(), row.std(), scores.perSeed().size()))
                        .orElse(null))
                .rescaled(options.recovery(), measured.plainMetric(), measured.scales()),
            calibrations,
            options.recovery() == Recovery.RESCALE ? recoveries.report(rows) : null);
    List<ScoreTable> seedTables =
        scores.perSeed().stream()
            .map(raw -> ScoreTable.of(raw, artifact.alpha(), options.normalization()))
            .toList();
    return new Outcome(
        ScoresDocument.of(info, artifact.table()),
        seedTables,
        findings,
        artifact.heads(),
        evaluation.examples(),
        measured.scales());
  }

  /**
   * Examples of seed {@code seed}'s held-out set that the divergence rule measures on, at most this
   * many (a seeded draw): 64 a seed, 192 over the default three seeds — the mean KL of a head set
   * settles well before that, and every α of the grid costs a pass over them at every sparsity the
   * target search visits (bench/README: the same α and targets as with 256 on the three bench
   * models, the MiniLM-shape job's α phase a quarter of the time).
   */
  static final int HELD_OUT_CAP = 64;

  /**
   * The pool examples seed {@code seed}'s calibration draw leaves unused (at most {@link
   * #HELD_OUT_CAP}, a seeded draw), or the validation split when the draw uses the whole
   * calibration part.
   */
  List<Encoded> heldOutExamples(int seed) {
    Set<Integer> used = new HashSet<>(splits.sample(calibrationPerSeed, seed));
    List<Integer> unused =
        new ArrayList<>(splits.calibration().stream().filter(i -> !used.contains(i)).toList());
    if (unused.isEmpty()) {
      unused = new ArrayList<>(splits.validation());
    }
    Collections.shuffle(unused, new Random(0x4b4cL * 31 + seed));
    return pick(
        unused.subList(0, Math.min(HELD_OUT_CAP, unused.size())).stream().sorted().toList());
  }

  /** One evaluation of the grid: a criterion at a sparsity on a seed, and the heads it prunes. */
  record Cell(Criterion criterion, double sparsity, int seed, List<HeadRef> heads) {

    /** The grid row of this cell named {@code criterion}, with its evaluation. */
    EvaluationRow row(String criterion, Evaluation result, Metric metric) {
      return new EvaluationRow(
          criterion,
          sparsity,
          seed,
          metric.id(),
          result.value(),
          result.agreement(),
          Pruner.pairs(heads));
    }
  }
}
