package io.headprune.pruning;

import io.headprune.model.HeadModel;
import io.headprune.pruning.PruneReport.AlphaChoice;
import io.headprune.pruning.PruneReport.AlphaTrial;
import io.headprune.pruning.PruneReport.EvaluationRow;
import io.headprune.pruning.PruneReport.SummaryRow;
import io.headprune.pruning.PruneReport.TargetChoice;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScore;
import io.headprune.scoring.HeadSelector;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.Metric;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.Evaluator;
import io.headprune.scoring.Predictions;
import io.headprune.scoring.Progress;
import io.headprune.scoring.RawScores;
import io.headprune.scoring.ScoreTable;
import io.headprune.scoring.Splits;
import java.util.ArrayList;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One pruning run's state: splits, per-seed scores, cached evaluations. */
final class Run {

  /** One evaluation of a set of gated-off heads on a data part. */
  record Evaluation(double value, double agreement) {}

  /** A data part with the unpruned model's outcome and the labels a classifier's metric uses. */
  record Part(List<Encoded> examples, Evaluator.Outcome dense, double[] labels) {

    double denseValue() {
      return dense.value();
    }
  }

  final HeadModel model;
  final PruneOptions options;
  final Progress progress;

  /** The outer phase last reported, re-reported by every batch of inner work (so cancel and shutdown reach it). */
  private String phase = "load";
  private long phaseDone;
  private long phaseTotal;
  final Metric metric;
  final Part evaluation;
  final Part validation;
  final int poolSize;
  final int calibrationPerSeed;
  final String evaluationSource;
  final List<RawScores> perSeed = new ArrayList<>();
  private final List<List<Encoded>> samples = new ArrayList<>();
  private ToDoubleFunction<HeadRef> weightNorms;
  /** Evaluations by data part (by identity) and head set: identical selections are evaluated once. */
  private final Map<Part, Map<List<HeadRef>, Evaluation>> cache = new java.util.IdentityHashMap<>();
  private final List<Encoded> pool;
  private final Splits splits;
  private AlphaChoice alphaChoice;
  ScoreTable artifactTable;
  List<HeadRef> artifactHeads;
  double artifactSparsity;

  private final int poolRows;
  private final int evaluationRows;

  Run(HeadModel model, PruneOptions options, Progress progress, List<Encoded> pool, Splits splits,
      List<Encoded> evaluationSet, int poolRows, int evaluationRows) {
    this.poolRows = poolRows;
    this.evaluationRows = evaluationRows;
    this.model = model;
    this.options = options;
    this.progress = (name, done, total) -> {
      phase = name;
      phaseDone = done;
      phaseTotal = total;
      progress.report(name, done, total);
    };
    this.metric = Pruner.metric(options, model,
        evaluationSet != null && !evaluationSet.isEmpty() && evaluationSet.get(0).choices() != null);
    this.pool = pool;
    this.splits = splits;
    this.poolSize = pool.size();
    this.evaluationSource = evaluationSet != null ? "evaluation set" : "held-out part of the calibration pool";
    this.evaluation = part(evaluationSet != null ? evaluationSet : pick(splits.evaluation()));
    this.validation = splits.validation().isEmpty() ? null : part(pick(splits.validation()));
    int wanted = options.calibrationSize() == null ? Integer.MAX_VALUE : options.calibrationSize();
    this.calibrationPerSeed = Math.min(wanted, splits.calibration().size());
  }

  private List<Encoded> pick(List<Integer> indices) {
    return indices.stream().map(pool::get).toList();
  }

  private Part part(List<Encoded> examples) {
    if (model.config().languageModel()) {
      return new Part(examples, Evaluator.run(model, examples, Set.of(), metric, null, evaluationBatch(), dense()),
          null);
    }
    boolean regression = model.config().labels().regression();
    double[] dense = Predictions.predicted(
        ModelRunner.logits(model, examples, Set.of(), evaluationBatch(), dense()), regression);
    double[] labels = new double[examples.size()];
    for (int i = 0; i < labels.length; i++) {
      Double label = examples.get(i).label();
      labels[i] = label != null ? label : dense[i];
    }
    return new Part(examples, new Evaluator.Outcome(metric.compute(dense, labels), dense), labels);
  }

  /** Progress of the unpruned model's pass over a data part: phase "dense". */
  private Progress dense() {
    return (name, done, total) -> progress.report("dense", done, total);
  }

  /** Progress of work inside a step: each batch re-reports the step's own phase and count. */
  private Progress within() {
    return (name, done, total) -> progress.report(phase, phaseDone, phaseTotal);
  }

  private int evaluationBatch() {
    return Math.max(options.batchSize(), 64);
  }

  Pruner.Result execute(ModelInfo info) {
    scoreSeeds();
    double alpha = chooseAlpha();
    List<EvaluationRow> rows = evaluateAll(alpha);
    TargetChoice target = chooseTarget(alpha);
    artifactSparsity = target.sparsity();
    artifactTable = ScoreTable.of(Pruner.mean(perSeed), alpha, options.normalization());
    artifactHeads = options.iterative()
        ? iterative(options.criterion(), 0, artifactSparsity, alpha, artifactTable, pruned -> {
          List<RawScores> rescored = new ArrayList<>();
          samples.forEach(sample -> rescored.add(HeadScorer.score(model, sample, options.batchSize(), pruned,
              within())));
          return Pruner.mean(rescored);
        })
        : oneShot(options.criterion(), artifactTable, 0, artifactSparsity);
    List<SummaryRow> summary = Summaries.of(rows, options.seeds());
    PruneReport report =
        new PruneReport(
            info,
            metric.id(),
            new PruneReport.Dense(metric.id(), evaluation.denseValue()),
            new PruneReport.DataSizes(poolSize, calibrationPerSeed, validation == null ? 0 : validation.examples().size(),
                evaluation.examples().size(), evaluationSource, options.seeds(), poolRows, evaluationRows),
            rows,
            summary,
            alphaChoice,
            alphaChoice.auto() ? Summaries.compare(summary, metric) : List.of(),
            target,
            Pruner.artifact(options.criterion(), artifactSparsity, options, artifactHeads),
            null,
            null);
    List<ScoreTable> seedTables = perSeed.stream().map(raw -> ScoreTable.of(raw, alpha, options.normalization())).toList();
    return new Pruner.Result(ScoresDocument.of(info, artifactTable), seedTables, report);
  }

  private void scoreSeeds() {
    for (int seed = 0; seed < options.seeds(); seed++) {
      List<Encoded> sample = pick(splits.sample(calibrationPerSeed, seed));
      samples.add(sample);
      int current = seed;
      perSeed.add(HeadScorer.score(model, sample, options.batchSize(),
          (phase, done, total) -> progress.report(phase, (long) current * total + done, (long) options.seeds() * total)));
    }
  }

  private double chooseAlpha() {
    if (options.alpha() != null) {
      alphaChoice = new AlphaChoice(options.alpha(), false, List.of());
      return options.alpha();
    }
    List<AlphaTrial> trials = new ArrayList<>();
    double best = Double.NaN;
    double bestMean = metric.worst();
    long trialsTotal = (long) PruneOptions.ALPHA_GRID.length * perSeed.size() * options.sparsities().size();
    long trialsDone = 0;
    for (double alpha : PruneOptions.ALPHA_GRID) {
      double sum = 0;
      int count = 0;
      for (int seed = 0; seed < perSeed.size(); seed++) {
        ScoreTable table = ScoreTable.of(perSeed.get(seed), alpha, options.normalization());
        for (double sparsity : options.sparsities()) {
          // α is chosen with one-shot selection, even for an iterative run (the grid would cost 11 runs)
          progress.report("alpha", trialsDone++, trialsTotal);
          sum += evaluate(oneShot(Criterion.HIES, table, seed, sparsity), validation).value();
          count++;
        }
      }
      double mean = sum / count;
      trials.add(new AlphaTrial(alpha, mean));
      if (metric.better(mean, bestMean)) {
        bestMean = mean;
        best = alpha;
      }
    }
    alphaChoice = new AlphaChoice(best, true, trials);
    return best;
  }

  private List<EvaluationRow> evaluateAll(double alpha) {
    List<EvaluationRow> rows = new ArrayList<>();
    long total = (long) options.criteria().size() * options.sparsities().size() * perSeed.size();
    long done = 0;
    for (Criterion criterion : options.criteria()) {
      for (double sparsity : options.sparsities()) {
        for (int seed = 0; seed < perSeed.size(); seed++) {
          List<HeadRef> heads = select(criterion, seed, sparsity, alpha);
          Evaluation result = evaluate(heads, evaluation);
          rows.add(new EvaluationRow(criterion.id(), sparsity, seed, metric.id(), result.value(), result.agreement(),
              Pruner.pairs(heads)));
          progress.report("evaluate", ++done, total);
        }
      }
    }
    return rows;
  }

  private TargetChoice chooseTarget(double alpha) {
    PruneOptions.Target target = options.target();
    if (target.sparsity() != null) {
      return new TargetChoice("sparsity", target.sparsity(), null, null, "sparsity given by the request");
    }
    List<Double> grid = Pruner.grid(target.step());
    double[] means = new double[grid.size()];
    for (int i = 0; i < grid.size(); i++) {
      double sum = 0;
      for (int seed = 0; seed < perSeed.size(); seed++) {
        progress.report("target", (long) i * perSeed.size() + seed, (long) grid.size() * perSeed.size());
        sum += evaluate(select(options.criterion(), seed, grid.get(i), alpha), evaluation).value();
      }
      means[i] = sum / perSeed.size();
    }
    int best = largestWithin(means, evaluation.denseValue(), target.maxMetricDrop(), metric);
    double chosen = best < 0 ? 0 : grid.get(best);
    double chosenMean = best < 0 ? evaluation.denseValue() : means[best];
    String reason = String.format(java.util.Locale.ROOT,
        "largest sparsity on a %.2f grid whose mean %s over %d seed(s) (%.4f) stays within %.4f of the unpruned %.4f",
        target.step(), metric.id(), perSeed.size(), chosenMean, target.maxMetricDrop(), evaluation.denseValue());
    return new TargetChoice("maxMetricDrop", chosen, target.maxMetricDrop(), chosenMean, reason);
  }

  private ToDoubleFunction<HeadRef> norms() {
    if (weightNorms == null) {
      weightNorms = Criterion.weightNorms(model.heads(), model.headWeightNorms());
    }
    return weightNorms;
  }

  /** The heads {@code criterion} prunes at {@code sparsity} on seed {@code seed}'s calibration sample. */
  private List<HeadRef> select(Criterion criterion, int seed, double sparsity, double alpha) {
    ScoreTable table = ScoreTable.of(perSeed.get(seed), alpha, options.normalization());
    if (!options.iterative()) {
      return oneShot(criterion, table, seed, sparsity);
    }
    return iterative(criterion, seed, sparsity, alpha, table,
        pruned -> HeadScorer.score(model, samples.get(seed), options.batchSize(), pruned, within()));
  }

  /** One-shot selection on {@code table}: global, or whole key/value groups per layer. */
  private List<HeadRef> oneShot(Criterion criterion, ScoreTable table, int seed, double sparsity) {
    if (!options.uniformGroups()) {
      return Pruner.select(criterion, table, norms(), seed, sparsity, options.minHeadsPerLayer());
    }
    int hidden = model.config().hiddenSize();
    List<HeadRef> heads = table.heads().stream().map(HeadScore::ref).toList();
    return HeadSelector.uniformGroups(heads, criterion.scores(table, norms(), seed), sparsity,
        model.config().keyValueHeads(), left -> !options.loadableByV5() || hidden % left == 0);
  }

  /**
   * Iterative selection (§3.8): prune {@code step} of the heads at a time, re-scoring the model
   * with the heads pruned so far gated off; scores are normalised over the remaining heads.
   */
  private List<HeadRef> iterative(Criterion criterion, int seed, double sparsity, double alpha, ScoreTable first,
      Function<Set<HeadRef>, RawScores> rescore) {
    int total = first.heads().size();
    int wanted = HeadSelector.count(sparsity, total);
    Set<HeadRef> pruned = new TreeSet<>();
    ScoreTable table = first;
    for (double reached = options.step(); pruned.size() < wanted; reached += options.step()) {
      int target = reached >= sparsity - 1e-9 ? wanted : Math.min(wanted, HeadSelector.count(reached, total));
      if (!pruned.isEmpty()) {
        table = ScoreTable.of(rescore.apply(pruned), alpha, options.normalization(), pruned);
      }
      List<HeadRef> remaining = table.heads().stream().map(HeadScore::ref).toList();
      List<HeadRef> more = HeadSelector.selectCount(remaining, criterion.scores(table, norms(), seed),
          target - pruned.size(), options.minHeadsPerLayer());
      if (more.isEmpty() && target == wanted) {
        break; // every layer is down to minHeadsPerLayer
      }
      pruned.addAll(more);
    }
    return List.copyOf(pruned);
  }

  /**
   * Index of the largest grid sparsity whose mean metric is within {@code maxDrop} of
   * {@code dense}, or −1 if none is (the grid is ascending; qualifying points need not be
   * contiguous).
   */
  static int largestWithin(double[] means, double dense, double maxDrop, Metric metric) {
    for (int i = means.length - 1; i >= 0; i--) {
      if (metric.worsening(dense, means[i]) <= maxDrop + 1e-12) {
        return i;
      }
    }
    return -1;
  }

  /** Evaluates {@code heads} gated off on {@code part}; identical head sets are evaluated once. */
  Evaluation evaluate(List<HeadRef> heads, Part part) {
    Map<List<HeadRef>, Evaluation> forPart = cache.computeIfAbsent(part, p -> new HashMap<>());
    Evaluation cached = forPart.get(heads);
    if (cached != null) {
      return cached;
    }
    Evaluator.Outcome outcome =
        Evaluator.run(model, part.examples(), new HashSet<>(heads), metric, part.labels(), evaluationBatch(), within());
    Evaluation result = new Evaluation(outcome.value(), outcome.agreement(part.dense()));
    forPart.put(List.copyOf(heads), result);
    return result;
  }
}
