package io.headprune.pruning;

import io.headprune.model.HeadModel;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import io.headprune.pruning.PruneReport.AlphaChoice;
import io.headprune.pruning.PruneReport.AlphaTrial;
import io.headprune.pruning.PruneReport.EvaluationRow;
import io.headprune.pruning.PruneReport.SummaryRow;
import io.headprune.pruning.PruneReport.TargetChoice;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Divergence;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.Evaluator;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScore;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.HeadSelector;
import io.headprune.scoring.Metric;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.Predictions;
import io.headprune.scoring.RawScores;
import io.headprune.scoring.Rescaling;
import io.headprune.scoring.ScaledHeads;
import io.headprune.scoring.ScoreTable;
import io.headprune.scoring.Splits;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.IntToDoubleFunction;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

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

  /**
   * The outer phase last reported, re-reported by every batch of inner work (so cancel and shutdown
   * reach it).
   */
  private Phase phase = Phase.LOAD;

  private long phaseDone;
  private long phaseTotal;
  final Metric metric;
  final Part evaluation;
  final Part validation;
  final int poolSize;
  final int calibrationPerSeed;
  final String evaluationSource;
  private final boolean evaluationGiven;
  final List<RawScores> perSeed = new ArrayList<>();
  private final List<List<Encoded>> samples = new ArrayList<>();

  /** Per seed, the hash of its sample's pool indices ({@link PruneReport.DataSizes#samples}). */
  private final List<String> sampleHashes = new ArrayList<>();

  private ToDoubleFunction<HeadRef> weightNorms;

  /**
   * Evaluations by data part (by identity) and head set: identical selections are evaluated once.
   */
  private final Map<Part, Map<List<HeadRef>, Evaluation>> cache = new IdentityHashMap<>();

  private final List<Encoded> pool;
  private final Splits splits;

  /** α per sparsity, chosen on first need (fixed α: never). */
  private final Map<Double, PruneReport.AlphaAtSparsity> alphas = new TreeMap<>();

  /** Per seed: the unpruned model's outputs on held-out pool examples, for the divergence rule. */
  private final Map<Integer, Divergence.Reference> heldOut = new HashMap<>();

  /** Mean KL by seed and head set: identical selections are measured once. */
  private final Map<Integer, Map<List<HeadRef>, Double>> divergences = new HashMap<>();

  private long alphaTrials;

  /** The progress the run was given: besides phases, it hears the plan and the passes (§8). */
  private final Progress outer;

  /** What the run expects to do, passes per phase (null until the constructor has it). */
  private Plan plan;

  /** Passes done per phase (a scoring pass counted once, as the plan counts it). */
  private final Map<Phase, Long> passesDone = new EnumMap<>(Phase.class);

  /**
   * Passes the plan counted that the run did not need (identical head sets measured once, cached
   * evaluations): they no longer count as remaining.
   */
  private final Map<Phase, Long> passesSkipped = new EnumMap<>(Phase.class);

  /** Phases the run has finished: their unused planned passes no longer count as remaining. */
  private final Set<Phase> settled = EnumSet.noneOf(Phase.class);

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
    this.outer = progress;
    this.progress =
        (name, done, total) -> {
          phase = name;
          phaseDone = done;
          phaseTotal = total;
          progress.report(name, done, total);
          sendPasses();
        };
    this.metric =
        Pruner.metric(
            options,
            model,
            evaluationSet != null
                && !evaluationSet.isEmpty()
                && evaluationSet.get(0).choices() != null);
    this.pool = pool;
    this.splits = splits;
    this.poolSize = pool.size();
    this.evaluationSource =
        evaluationSet != null ? "evaluation set" : "held-out part of the calibration pool";
    this.evaluationGiven = evaluationSet != null;
    plan(evaluationSet == null ? null : evaluationSet.size(), List.of());
    this.evaluation = part(evaluationSet != null ? evaluationSet : pick(splits.evaluation()));
    this.validation = splits.validation().isEmpty() ? null : part(pick(splits.validation()));
    int wanted = options.calibrationSize() == null ? Integer.MAX_VALUE : options.calibrationSize();
    this.calibrationPerSeed = Math.min(wanted, splits.calibration().size());
  }

  /** The plan of this run on its data and {@code others}, sent to the progress it was given. */
  private void plan(Integer evaluationExamples, List<ComparedSet> others) {
    plan =
        Plan.of(
            options,
            pool.size(),
            evaluationExamples,
            others.stream().map(other -> other.pool().size()).toList());
    outer.planned(plan.passes());
    sendPasses();
  }

  /**
   * Passes done and remaining by the plan, in forward passes, to the progress the run was given.
   */
  private void sendPasses() {
    if (plan == null) {
      return;
    }
    long done = 0;
    long remaining = 0;
    for (Phase each : Phase.values()) {
      long did = passesDone.getOrDefault(each, 0L);
      done += Plan.cost(each, did);
      if (!settled.contains(each)) {
        long left =
            plan.passes().getOrDefault(each, 0L) - did - passesSkipped.getOrDefault(each, 0L);
        remaining += Plan.cost(each, Math.max(0, left));
      }
    }
    outer.passes(done, remaining);
  }

  /** {@code passes} passes of {@code phase} the plan counted were not needed. */
  private void skipped(Phase phase, long passes) {
    if (passes > 0) {
      passesSkipped.merge(phase, passes, Long::sum);
    }
  }

  /** The phases of {@code phases} are finished. */
  private void settle(Phase... phases) {
    settled.addAll(List.of(phases));
    sendPasses();
  }

  /**
   * {@code inner}, counting {@code passes} passes of {@code phase} as the work it is given to
   * reports its batches done.
   */
  private Progress counting(Phase phase, long passes, Progress inner) {
    long[] counted = {0};
    return (name, done, total) -> {
      long now = total <= 0 ? passes : passes * Math.min(done, total) / total;
      if (now > counted[0]) {
        passesDone.merge(phase, now - counted[0], Long::sum);
        counted[0] = now;
      }
      inner.report(name, done, total);
    };
  }

  private List<Encoded> pick(List<Integer> indices) {
    return indices.stream().map(pool::get).toList();
  }

  private Part part(List<Encoded> examples) {
    if (model.config().languageModel()) {
      return new Part(
          examples,
          Evaluator.run(
              model,
              examples,
              Set.of(),
              metric,
              null,
              evaluationBatch(),
              counting(Phase.DENSE, examples.size(), dense())),
          null);
    }
    boolean regression = model.config().labels().regression();
    double[] dense =
        Predictions.predicted(
            ModelRunner.logits(
                model,
                examples,
                Set.of(),
                evaluationBatch(),
                counting(Phase.DENSE, examples.size(), dense())),
            regression);
    double[] labels = new double[examples.size()];
    for (int i = 0; i < labels.length; i++) {
      Double label = examples.get(i).label();
      labels[i] = label != null ? label : dense[i];
    }
    return new Part(examples, new Evaluator.Outcome(metric.compute(dense, labels), dense), labels);
  }

  /** Progress of the unpruned model's pass over a data part: phase "dense". */
  private Progress dense() {
    return (name, done, total) -> progress.report(Phase.DENSE, done, total);
  }

  /** Progress of work inside a step: each batch re-reports the step's own phase and count. */
  private Progress within() {
    return (name, done, total) -> progress.report(phase, phaseDone, phaseTotal);
  }

  private int evaluationBatch() {
    return Math.max(options.batchSize(), 64);
  }

  /**
   * What a run hands to the writer of its outputs.
   *
   * @param result the scores and the report
   * @param heads the heads the artifact prunes
   * @param evaluationExamples the examples latency is measured on
   * @param scales with rescaling, the artifact's heads off and kept heads' scales (else null)
   */
  record Outcome(
      Pruner.Result result,
      List<HeadRef> heads,
      List<Encoded> evaluationExamples,
      ScaledHeads scales) {

    /** What the checkpoints are written from: the heads off, with their scales if rescaled. */
    Collection<HeadRef> written() {
      return scales != null ? scales : heads;
    }
  }

  /** The heads the artifact prunes, the table they were selected on, and the α of that table. */
  private record Selection(List<HeadRef> heads, ScoreTable table, double alpha) {}

  /**
   * The experiment, top to bottom: scores per seed → (α per sparsity, on first need) → evaluations
   * → target → the artifact's selection → the report.
   */
  Outcome execute(ModelInfo info) {
    return execute(info, null, List.of());
  }

  /** As above, comparing the run's own calibration set ({@code ownSource}) with {@code others}. */
  Outcome execute(ModelInfo info, String ownSource, List<ComparedSet> others) {
    if (!others.isEmpty()) {
      plan(evaluationGiven ? evaluation.examples().size() : null, others);
    }
    scoreSeeds();
    if (!options.iterative()) {
      settle(Phase.SCORE);
    }
    List<EvaluationRow> rows = evaluateAll();
    TargetChoice target = chooseTarget();
    outer.event(
        "target",
        String.format(Locale.ROOT, "sparsity %s: %s", target.sparsity(), target.reason()));
    Selection artifact = selectArtifact(target.sparsity());
    settle(Phase.SCORE, Phase.DENSE, Phase.ALPHA, Phase.TARGET);
    PruneReport.CalibrationComparison calibrations =
        others.isEmpty() ? null : compare(ownSource, others);
    settle(Phase.COMPARE);
    List<SummaryRow> summary = Summaries.of(rows, options.seeds());
    // the artifact's own head set, measured like every cell: what the user downloads
    Evaluation measured = evaluate(artifact.heads(), evaluation);
    ScaledHeads scales = null;
    Double plainMetric = null;
    if (options.recovery() == Recovery.RESCALE && !artifact.heads().isEmpty()) {
      progress.report(Phase.RECOVER, 0, 1);
      scales = fit(union(samples), artifact.heads());
      plainMetric = measured.value();
      measured = evaluateScaled(scales, evaluation);
      progress.report(Phase.RECOVER, 1, 1);
    }
    settle(Phase.values());
    String ownCriterion = Summaries.rowName(options.criterion().id(), options.recovery());
    PruneReport report =
        new PruneReport(
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
                List.copyOf(sampleHashes)),
            rows,
            summary,
            alphaChoice(artifact.alpha(), target.sparsity()),
            options.alpha() instanceof Alpha.Auto ? Summaries.compare(summary, metric) : List.of(),
            target,
            Pruner.artifact(
                    options.criterion(),
                    target.sparsity(),
                    options,
                    artifact.heads(),
                    measured.value(),
                    measured.agreement(),
                    summary.stream()
                        .filter(
                            row ->
                                row.criterion().equals(ownCriterion)
                                    && row.sparsity() == target.sparsity())
                        .findFirst()
                        .map(row -> new PruneReport.Spread(row.mean(), row.std(), perSeed.size()))
                        .orElse(null))
                .rescaled(options.recovery(), plainMetric, scales),
            null,
            null,
            null,
            calibrations,
            options.recovery() == Recovery.RESCALE ? recoveryReport(rows) : null);
    List<ScoreTable> seedTables =
        perSeed.stream()
            .map(raw -> ScoreTable.of(raw, artifact.alpha(), options.normalization()))
            .toList();
    Pruner.Result result =
        new Pruner.Result(ScoresDocument.of(info, artifact.table()), seedTables, report);
    return new Outcome(result, artifact.heads(), evaluation.examples(), scales);
  }

  /**
   * The artifact's heads at {@code sparsity}: selected on the seeds' mean scores at that sparsity's
   * α, one-shot or iteratively re-scored on every seed's sample.
   */
  private Selection selectArtifact(double sparsity) {
    double alpha = alphaAt(sparsity);
    ScoreTable table = ScoreTable.of(Pruner.mean(perSeed), alpha, options.normalization());
    List<HeadRef> heads =
        options.iterative()
            ? iterative(
                options.criterion(),
                0,
                sparsity,
                alpha,
                table,
                pruned -> {
                  List<RawScores> rescored = new ArrayList<>();
                  samples.forEach(
                      sample ->
                          rescored.add(
                              HeadScorer.score(
                                  model,
                                  sample,
                                  options.batchSize(),
                                  pruned,
                                  counting(Phase.SCORE, sample.size(), within()))));
                  return Pruner.mean(rescored);
                })
            : oneShot(options.criterion(), table, 0, sparsity);
    return new Selection(heads, table, alpha);
  }

  private void scoreSeeds() {
    for (int seed = 0; seed < options.seeds(); seed++) {
      List<Integer> indices = splits.sample(calibrationPerSeed, seed);
      sampleHashes.add(PruneReport.DataSizes.sampleHash(indices));
      List<Encoded> sample = pick(indices);
      samples.add(sample);
      int current = seed;
      perSeed.add(
          HeadScorer.score(
              model,
              sample,
              options.batchSize(),
              counting(
                  Phase.SCORE,
                  sample.size(),
                  (phase, done, total) ->
                      progress.report(
                          phase, (long) current * total + done, (long) options.seeds() * total))));
    }
  }

  /**
   * Examples of seed {@code seed}'s held-out set that the divergence rule measures on, at most this
   * many (a seeded draw): 64 a seed, 192 over the default three seeds — the mean KL of a head set
   * settles well before that, and every α of the grid costs a pass over them at every sparsity the
   * target search visits (bench/README: the same α and targets as with 256 on the three bench
   * models, the MiniLM-shape job's α phase a quarter of the time).
   */
  static final int HELD_OUT_CAP = 64;

  /** The α at {@code sparsity}: the fixed one, or the one its rule chooses there (once). */
  double alphaAt(double sparsity) {
    if (options.alpha() instanceof Alpha.Fixed fixed) {
      return fixed.value();
    }
    PruneReport.AlphaAtSparsity chosen = alphas.get(sparsity);
    if (chosen == null) {
      Alpha.Rule rule = ((Alpha.Auto) options.alpha()).by();
      chosen = chooseAlpha(sparsity, rule);
      alphas.put(sparsity, chosen);
      outer.event("alpha", explain(chosen, rule, alphaExamples(rule)));
    }
    return chosen.alpha();
  }

  /**
   * Tries every α of the grid at {@code sparsity} on every seed (one-shot HIES selection on the
   * seed's scores, even for an iterative run: the grid would cost eleven iterative runs) and keeps
   * the best mean: the lowest KL for divergence, the best metric for metric. Ties go to the larger
   * α.
   */
  private PruneReport.AlphaAtSparsity chooseAlpha(double sparsity, Alpha.Rule rule) {
    double[] grid = PruneOptions.ALPHA_GRID;
    double[][] values = new double[grid.length][perSeed.size()];
    List<List<List<HeadRef>>> selections = new ArrayList<>(); // [α][seed]
    for (int a = 0; a < grid.length; a++) {
      selections.add(new ArrayList<>());
    }
    long total = (long) grid.length * perSeed.size() * Math.max(1, options.sparsities().size());
    for (int seed = 0; seed < perSeed.size(); seed++) {
      progress.report(Phase.ALPHA, Math.min(alphaTrials, total - 1), total);
      alphaTrials += grid.length;
      List<List<HeadRef>> sets = new ArrayList<>();
      for (int a = 0; a < grid.length; a++) {
        List<HeadRef> set =
            oneShot(
                Criterion.HIES,
                ScoreTable.of(perSeed.get(seed), grid[a], options.normalization()),
                seed,
                sparsity);
        sets.add(set);
        selections.get(a).add(set);
      }
      double[] perAlpha =
          rule == Alpha.Rule.DIVERGENCE
              ? divergences(seed, sets)
              : sets.stream().mapToDouble(heads -> evaluate(heads, validation).value()).toArray();
      for (int a = 0; a < grid.length; a++) {
        values[a][seed] = perAlpha[a];
      }
    }
    List<AlphaTrial> trials = new ArrayList<>();
    for (int a = 0; a < grid.length; a++) {
      double mean = Arrays.stream(values[a]).average().orElse(Double.NaN);
      double standardError = Summaries.sampleStd(values[a], mean) / Math.sqrt(values[a].length);
      trials.add(
          new AlphaTrial(grid[a], mean, standardError, Summaries.jaccardWithin(selections.get(a))));
    }
    List<AlphaTrial> flagged = withinNoise(trials, rule, metric);
    return new PruneReport.AlphaAtSparsity(sparsity, best(flagged, rule, metric), flagged);
  }

  /** Whether {@code mean} is better than {@code other} by the rule (lower KL, or better metric). */
  private static boolean better(double mean, double other, Alpha.Rule rule, Metric metric) {
    return rule == Alpha.Rule.DIVERGENCE ? mean < other : metric.better(mean, other);
  }

  /**
   * {@code trials} with {@code withinNoise} set on those whose mean is within one standard error
   * (that of the best trial's mean) of the best mean: the lowest for divergence, the best by {@code
   * metric} otherwise. NaN means are never within.
   */
  static List<AlphaTrial> withinNoise(List<AlphaTrial> trials, Alpha.Rule rule, Metric metric) {
    AlphaTrial best = null;
    for (AlphaTrial trial : trials) {
      if (!Double.isNaN(trial.mean())
          && (best == null || better(trial.mean(), best.mean(), rule, metric))) {
        best = trial;
      }
    }
    if (best == null) {
      throw new InvalidInputException(
          "automatic alpha found nothing to measure: the held-out examples are empty");
    }
    double bestMean = best.mean();
    double noise = best.standardError();
    return trials.stream()
        .map(
            t ->
                new AlphaTrial(
                    t.alpha(),
                    t.mean(),
                    t.standardError(),
                    t.jaccard(),
                    !Double.isNaN(t.mean()) && Math.abs(t.mean() - bestMean) <= noise + 1e-12))
        .toList();
  }

  /**
   * The α chosen from flagged {@code trials} (see {@link #withinNoise}): of those within noise of
   * the best mean, the one whose seeds' selections agree most (mean pairwise Jaccard) — as good,
   * and stable — ties to the better mean, then to the larger α (the grid ascends).
   */
  static double best(List<AlphaTrial> trials, Alpha.Rule rule, Metric metric) {
    AlphaTrial chosen = null;
    for (AlphaTrial trial : trials) {
      if (!trial.withinNoise()) {
        continue;
      }
      if (chosen == null
          || trial.jaccard() > chosen.jaccard()
          || (trial.jaccard() == chosen.jaccard()
              && !better(chosen.mean(), trial.mean(), rule, metric))) {
        chosen = trial;
      }
    }
    if (chosen == null) {
      throw new InvalidInputException(
          "automatic alpha found nothing to measure: the held-out examples are empty");
    }
    return chosen.alpha();
  }

  /** The distinct sets of {@code sets} that {@code known} has no result for yet. */
  private static List<List<HeadRef>> unmeasured(
      List<List<HeadRef>> sets, Map<List<HeadRef>, ?> known) {
    return sets.stream().map(List::copyOf).distinct().filter(s -> !known.containsKey(s)).toList();
  }

  /**
   * Mean KL(dense ‖ pruned) of seed {@code seed}'s held-out examples with each of {@code sets}
   * gated off; sets measured before are not run again, the others share one run.
   */
  private double[] divergences(int seed, List<List<HeadRef>> sets) {
    Map<List<HeadRef>, Double> forSeed = divergences.computeIfAbsent(seed, s -> new HashMap<>());
    List<List<HeadRef>> missing = unmeasured(sets, forSeed);
    if (!missing.isEmpty()) {
      Divergence.Reference reference =
          heldOut.computeIfAbsent(
              seed,
              s -> {
                List<Encoded> examples = heldOutExamples(s);
                return Divergence.reference(
                    model,
                    examples,
                    evaluationBatch(),
                    counting(Phase.DENSE, examples.size(), dense()));
              });
      double[] means =
          Divergence.means(
              model,
              reference,
              missing.stream().map(HashSet::new).toList(),
              evaluationBatch(),
              counting(Phase.ALPHA, (long) missing.size() * reference.size(), within()));
      for (int i = 0; i < missing.size(); i++) {
        forSeed.put(missing.get(i), means[i]);
      }
    }
    // the sets measured before (here, or at another α) cost nothing: the plan counted them
    Divergence.Reference measuredOn = heldOut.get(seed);
    if (measuredOn != null) {
      skipped(Phase.ALPHA, (long) (sets.size() - missing.size()) * measuredOn.size());
    }
    return sets.stream().mapToDouble(set -> forSeed.get(List.copyOf(set))).toArray();
  }

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

  /** The report's account of α: per sparsity, and for the artifact in one sentence. */
  private AlphaChoice alphaChoice(double artifactAlpha, double artifactSparsity) {
    if (!(options.alpha() instanceof Alpha.Auto auto)) {
      return new AlphaChoice(
          artifactAlpha,
          false,
          null,
          0,
          options.sparsities().stream()
              .map(sparsity -> new PruneReport.AlphaAtSparsity(sparsity, artifactAlpha, List.of()))
              .toList(),
          "α = " + artifactAlpha + " was given");
    }
    int examples = alphaExamples(auto.by());
    PruneReport.AlphaAtSparsity chosen = alphas.get(artifactSparsity);
    String explanation = explain(chosen, auto.by(), examples);
    return new AlphaChoice(
        artifactAlpha, true, auto.by().id(), examples, List.copyOf(alphas.values()), explanation);
  }

  /** The examples α's rule measures on: a seed's held-out set, or the validation split. */
  private int alphaExamples(Alpha.Rule rule) {
    return rule == Alpha.Rule.DIVERGENCE
        ? (perSeed.isEmpty() ? 0 : heldOutExamples(0).size())
        : (validation == null ? 0 : validation.examples().size());
  }

  /**
   * The choice of α at one sparsity in one sentence: the rule's best mean, which α were within one
   * standard error of it, and the Jaccard of the chosen α's selections against the best mean's.
   */
  private String explain(PruneReport.AlphaAtSparsity at, Alpha.Rule rule, int examples) {
    AlphaTrial chosen =
        at.grid().stream().filter(t -> t.alpha() == at.alpha()).findFirst().orElseThrow();
    AlphaTrial bestMean = null;
    for (AlphaTrial trial : at.grid()) {
      if (!Double.isNaN(trial.mean())
          && (bestMean == null
              || better(trial.mean(), bestMean.mean(), rule, metric)
              || (trial.mean() == bestMean.mean() && trial.alpha() > bestMean.alpha()))) {
        bestMean = trial;
      }
    }
    String measure =
        rule == Alpha.Rule.DIVERGENCE
            ? String.format(
                Locale.ROOT,
                "mean KL divergence from the unpruned model's outputs on %d held-out pool examples"
                    + " per seed",
                examples)
            : String.format(
                Locale.ROOT, "mean validation %s on %d validation examples", metric.id(), examples);
    String within =
        at.grid().stream()
            .filter(AlphaTrial::withinNoise)
            .map(t -> alphaText(t.alpha()))
            .collect(Collectors.joining(", "));
    String stability =
        chosen == bestMean
            ? String.format(
                Locale.ROOT,
                "it had the best %s (%.4g ± %.2g) and its seeds' head sets agreed most (Jaccard %.2f)",
                rule == Alpha.Rule.DIVERGENCE ? "divergence" : metric.id(),
                chosen.mean(),
                chosen.standardError(),
                chosen.jaccard())
            : String.format(
                Locale.ROOT,
                "its seeds' head sets agreed most (Jaccard %.2f, against %.2f at α = %s, whose %.4g ±"
                    + " %.2g was the best; α = %s: %.4g)",
                chosen.jaccard(),
                bestMean.jaccard(),
                alphaText(bestMean.alpha()),
                bestMean.mean(),
                bestMean.standardError(),
                alphaText(chosen.alpha()),
                chosen.mean());
    return String.format(
        Locale.ROOT,
        "α = %s at sparsity %s by %s over %d seed(s): of the α within one standard error of the"
            + " best (%s), %s",
        alphaText(chosen.alpha()),
        BigDecimal.valueOf(at.sparsity()).stripTrailingZeros().toPlainString(),
        measure,
        perSeed.size(),
        within,
        stability);
  }

  private static String alphaText(double alpha) {
    return BigDecimal.valueOf(alpha).stripTrailingZeros().toPlainString();
  }

  /** One evaluation of the grid: a criterion at a sparsity on a seed, and the heads it prunes. */
  private record Cell(Criterion criterion, double sparsity, int seed, List<HeadRef> heads) {}

  /**
   * Selects every cell's heads first, then evaluates the distinct head sets together, so that sets
   * agreeing on their lower layers' gates share those layers' passes.
   */
  private List<EvaluationRow> evaluateAll() {
    List<Cell> cells = new ArrayList<>();
    for (Criterion criterion : options.criteria()) {
      for (double sparsity : options.sparsities()) {
        for (int seed = 0; seed < perSeed.size(); seed++) {
          cells.add(
              new Cell(
                  criterion, sparsity, seed, select(criterion, seed, sparsity, alphaAt(sparsity))));
        }
      }
    }
    evaluateAll(cells.stream().map(Cell::heads).toList(), evaluation, cells.size());
    List<EvaluationRow> rows = new ArrayList<>();
    for (Cell cell : cells) {
      rows.add(row(cell.criterion().id(), cell, evaluate(cell.heads(), evaluation)));
    }
    if (options.recovery() == Recovery.RESCALE) {
      rows.addAll(recoverAll(cells));
    }
    return rows;
  }

  /** Fits of rescaling so far, and the time they took. */
  private int fits;

  private long fitNanos;

  /**
   * Every cell's head set rescaled on its seed's calibration sample and evaluated: rows named
   * {@code <criterion>+rescale} (identical sets of one seed are fitted once; an empty set is the
   * unpruned model, which rescaling leaves as it is).
   */
  private List<EvaluationRow> recoverAll(List<Cell> cells) {
    Map<List<Object>, Evaluation> done = new HashMap<>();
    List<EvaluationRow> rows = new ArrayList<>();
    long step = 0;
    for (Cell cell : cells) {
      progress.report(Phase.RECOVER, step++, cells.size());
      Evaluation result =
          cell.heads().isEmpty()
              ? evaluate(cell.heads(), evaluation)
              : done.computeIfAbsent(
                  List.of(cell.seed(), cell.heads()),
                  key -> evaluateScaled(fit(samples.get(cell.seed()), cell.heads()), evaluation));
      rows.add(row(Summaries.rowName(cell.criterion().id(), Recovery.RESCALE), cell, result));
    }
    progress.report(Phase.RECOVER, cells.size(), cells.size());
    return rows;
  }

  /** The grid row of {@code cell} named {@code criterion}, with its evaluation. */
  private EvaluationRow row(String criterion, Cell cell, Evaluation result) {
    return new EvaluationRow(
        criterion,
        cell.sparsity(),
        cell.seed(),
        metric.id(),
        result.value(),
        result.agreement(),
        Pruner.pairs(cell.heads()));
  }

  /** The rescaling of {@code heads} pruned, fitted on {@code calibration}; timed. */
  private ScaledHeads fit(List<Encoded> calibration, List<HeadRef> heads) {
    long start = System.nanoTime();
    ScaledHeads scales = Rescaling.fit(model, calibration, heads, options.batchSize());
    passesDone.merge(Phase.RECOVER, (long) calibration.size(), Long::sum);
    fitNanos += System.nanoTime() - start;
    fits++;
    return scales;
  }

  /** A rescaled head set evaluated on {@code part} (not cached: the cache keys are head sets). */
  private Evaluation evaluateScaled(ScaledHeads scales, Part part) {
    Evaluator.Outcome outcome =
        Evaluator.run(
            model,
            part.examples(),
            scales,
            metric,
            part.labels(),
            evaluationBatch(),
            counting(Phase.RECOVER, part.examples().size(), within()));
    return new Evaluation(outcome.value(), outcome.agreement(part.dense()));
  }

  /** Every example of {@code samples} once, in first-seen order. */
  private static List<Encoded> union(List<List<Encoded>> samples) {
    Set<Encoded> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Encoded> union = new ArrayList<>();
    for (List<Encoded> sample : samples) {
      for (Encoded example : sample) {
        if (seen.add(example)) {
          union.add(example);
        }
      }
    }
    return union;
  }

  /** Per criterion and sparsity, the seeds' metric without and with rescaling, paired by seed. */
  private PruneReport.RecoveryReport recoveryReport(List<EvaluationRow> rows) {
    List<PruneReport.RecoveryRow> paired = new ArrayList<>();
    for (Criterion criterion : options.criteria()) {
      for (double sparsity : options.sparsities()) {
        double[] plain = new double[perSeed.size()];
        double[] rescaled = new double[perSeed.size()];
        for (EvaluationRow row : rows) {
          if (row.sparsity() != sparsity) {
            continue;
          }
          if (row.criterion().equals(criterion.id())) {
            plain[row.seed()] = row.value();
          } else if (row.criterion().equals(Summaries.rowName(criterion.id(), Recovery.RESCALE))) {
            rescaled[row.seed()] = row.value();
          }
        }
        int better = 0;
        int worse = 0;
        for (int seed = 0; seed < plain.length; seed++) {
          if (metric.better(rescaled[seed], plain[seed])) {
            better++;
          } else if (metric.better(plain[seed], rescaled[seed])) {
            worse++;
          }
        }
        paired.add(
            new PruneReport.RecoveryRow(
                criterion.id(),
                sparsity,
                Summaries.spread(plain),
                Summaries.spread(rescaled),
                better,
                worse));
      }
    }
    return new PruneReport.RecoveryReport(
        Recovery.RESCALE.id(),
        Rescaling.RIDGE,
        fits,
        fitNanos / 1e9,
        paired,
        Summaries.recoveryVerdict(paired, metric));
  }

  /**
   * Evaluates on {@code part} every set of {@code sets} not evaluated there yet, in one shared run;
   * progress: phase "evaluate", in units of the {@code cells} it stands for.
   */
  private void evaluateAll(List<List<HeadRef>> sets, Part part, long cells) {
    evaluateAll(sets, part, cells, Phase.EVALUATE);
  }

  /** As above, reporting progress as {@code phase}. */
  private void evaluateAll(List<List<HeadRef>> sets, Part part, long cells, Phase phase) {
    evaluateAll(sets, part, cells, phase, progress);
    progress.report(phase, cells, cells);
  }

  /** As above, reporting progress in units of {@code cells} to {@code to}. */
  private void evaluateAll(
      List<List<HeadRef>> sets, Part part, long cells, Phase phase, Progress to) {
    Map<List<HeadRef>, Evaluation> forPart = cache.computeIfAbsent(part, p -> new HashMap<>());
    List<List<HeadRef>> missing = unmeasured(sets, forPart);
    skipped(phase, (long) (sets.size() - missing.size()) * part.examples().size());
    List<Evaluator.Outcome> outcomes =
        Evaluator.runAll(
            model,
            part.examples(),
            missing.stream().map(HashSet::new).toList(),
            metric,
            part.labels(),
            evaluationBatch(),
            counting(
                phase,
                (long) missing.size() * part.examples().size(),
                (name, done, total) ->
                    to.report(phase, total == 0 ? cells : done * cells / total, cells)));
    for (int i = 0; i < missing.size(); i++) {
      forPart.put(
          missing.get(i),
          new Evaluation(outcomes.get(i).value(), outcomes.get(i).agreement(part.dense())));
    }
  }

  /**
   * A calibration set compared with the run's own.
   *
   * @param name how the report names it ({@code calibrations[1]})
   * @param source what it is: a file, a stored dataset or a Hub split
   * @param pool its examples (sampled when the file had more than a pool holds)
   * @param rows the rows its file had
   */
  record ComparedSet(String name, String source, List<Encoded> pool, int rows) {}

  /**
   * Calibration sets compared in one run. Each set — the run's own first — is scored on its own
   * seeded draws of the run's calibration size (the same draw rule as the run's), its heads
   * selected by the artifact's criterion at every sparsity (at that sparsity's α), and each
   * selection evaluated on the run's evaluation part. Per sparsity: each set's metric (mean ± std
   * over seeds), the mean Jaccard of its own seeds' selections, and for every two sets the mean
   * Jaccard between their selections over all pairs of seeds — to hold against the within-set
   * figure: data matters when sets disagree more than seeds do.
   */
  PruneReport.CalibrationComparison compare(String ownSource, List<ComparedSet> others) {
    Criterion criterion = options.criterion();
    int seeds = perSeed.size();
    List<PruneReport.CalibrationSet> sets = new ArrayList<>();
    List<List<RawScores>> scores = new ArrayList<>();
    List<List<List<Encoded>>> draws = new ArrayList<>();
    sets.add(
        new PruneReport.CalibrationSet(
            "calibration", ownSource, splits.calibration().size(), poolRows, calibrationPerSeed));
    scores.add(perSeed);
    draws.add(samples);
    int wanted = options.calibrationSize() == null ? Integer.MAX_VALUE : options.calibrationSize();
    long steps = (long) others.size() * seeds;
    for (int k = 0; k < others.size(); k++) {
      ComparedSet other = others.get(k);
      Splits all = Splits.of(other.pool().size(), 0, 0);
      int count = Math.min(wanted, other.pool().size());
      sets.add(
          new PruneReport.CalibrationSet(
              other.name(), other.source(), other.pool().size(), other.rows(), count));
      List<RawScores> setScores = new ArrayList<>();
      List<List<Encoded>> setDraws = new ArrayList<>();
      for (int seed = 0; seed < seeds; seed++) {
        List<Encoded> sample = all.sample(count, seed).stream().map(other.pool()::get).toList();
        long step = (long) k * seeds + seed;
        setDraws.add(sample);
        setScores.add(
            HeadScorer.score(
                model,
                sample,
                options.batchSize(),
                counting(
                    Phase.COMPARE,
                    sample.size(),
                    (phase, done, total) ->
                        progress.report(Phase.COMPARE, step * total + done, steps * total))));
      }
      scores.add(setScores);
      draws.add(setDraws);
    }
    List<Double> sparsities = options.sparsities();
    // selections[set][sparsity][seed]
    List<List<List<List<HeadRef>>>> selections = new ArrayList<>();
    List<List<HeadRef>> everySet = new ArrayList<>();
    for (int set = 0; set < sets.size(); set++) {
      List<List<List<HeadRef>>> bySparsity = new ArrayList<>();
      for (double sparsity : sparsities) {
        List<List<HeadRef>> bySeed = new ArrayList<>();
        for (int seed = 0; seed < seeds; seed++) {
          bySeed.add(
              select(
                  criterion,
                  seed,
                  sparsity,
                  alphaAt(sparsity),
                  scores.get(set).get(seed),
                  draws.get(set).get(seed)));
        }
        everySet.addAll(bySeed);
        bySparsity.add(bySeed);
      }
      selections.add(bySparsity);
    }
    evaluateAll(everySet, evaluation, everySet.size(), Phase.COMPARE);
    List<PruneReport.CalibrationRow> rows = new ArrayList<>();
    List<PruneReport.CalibrationOverlap> overlaps = new ArrayList<>();
    for (int s = 0; s < sparsities.size(); s++) {
      for (int set = 0; set < sets.size(); set++) {
        List<List<HeadRef>> bySeed = selections.get(set).get(s);
        double[] values = new double[seeds];
        double[] agreements = new double[seeds];
        for (int seed = 0; seed < seeds; seed++) {
          Evaluation result = evaluate(bySeed.get(seed), evaluation);
          values[seed] = result.value();
          agreements[seed] = result.agreement();
        }
        double mean = Summaries.mean(values);
        double agreement = Summaries.mean(agreements);
        rows.add(
            new PruneReport.CalibrationRow(
                sets.get(set).name(),
                sparsities.get(s),
                mean,
                Summaries.sampleStd(values, mean),
                values,
                agreement,
                Summaries.jaccardWithin(bySeed)));
      }
      for (int a = 0; a < sets.size(); a++) {
        for (int b = a + 1; b < sets.size(); b++) {
          overlaps.add(
              new PruneReport.CalibrationOverlap(
                  sparsities.get(s),
                  sets.get(a).name(),
                  sets.get(b).name(),
                  Summaries.jaccardBetween(selections.get(a).get(s), selections.get(b).get(s))));
        }
      }
    }
    return new PruneReport.CalibrationComparison(
        criterion.id(),
        seeds,
        sets,
        rows,
        overlaps,
        Summaries.calibrationVerdict(rows, overlaps, metric, seeds));
  }

  private TargetChoice chooseTarget() {
    if (options.target() instanceof PruneOptions.Target.Sparsity given) {
      return new TargetChoice(
          "sparsity", given.value(), null, null, "sparsity given by the request");
    }
    PruneOptions.Target.MetricBudget target = (PruneOptions.Target.MetricBudget) options.target();
    List<Double> grid = Pruner.grid(target.step());
    double dense = evaluation.denseValue();
    Map<Integer, Double> means = new TreeMap<>();
    long planned = (long) (bisectionSteps(grid.size()) + LOOK_PAST) * perSeed.size();
    IntToDoubleFunction mean =
        i ->
            means.computeIfAbsent(
                i,
                at -> {
                  long done = (long) means.size() * perSeed.size();
                  progress.report(Phase.TARGET, Math.min(done, planned - 1), planned);
                  // an automatic α is chosen at each visited sparsity by the same rule
                  double alpha = alphaAt(grid.get(at));
                  List<List<HeadRef>> sets = new ArrayList<>();
                  for (int seed = 0; seed < perSeed.size(); seed++) {
                    sets.add(select(options.criterion(), seed, grid.get(at), alpha));
                  }
                  // the seeds' sets in one shared run
                  evaluateAll(
                      sets,
                      evaluation,
                      sets.size(),
                      Phase.TARGET,
                      (name, step, steps) ->
                          progress.report(
                              Phase.TARGET, Math.min(done + step, planned - 1), planned));
                  double sum = 0;
                  for (List<HeadRef> set : sets) {
                    sum += evaluate(set, evaluation).value();
                  }
                  return sum / perSeed.size();
                });
    // the grid rows already measured the chosen criterion at the requested sparsities: free points
    List<Integer> known = new ArrayList<>();
    if (options.criteria().contains(options.criterion())) {
      for (int i = 0; i < grid.size(); i++) {
        if (options.sparsities().contains(grid.get(i))) {
          known.add(i);
        }
      }
    }
    int best =
        largestWithinBySearch(
            grid.size(),
            i -> metric.worsening(dense, mean.applyAsDouble(i)) <= target.maxMetricDrop() + 1e-12,
            known);
    double chosen = best < 0 ? 0 : grid.get(best);
    double chosenMean = best < 0 ? dense : means.get(best);
    String reason =
        String.format(
            Locale.ROOT,
            "largest sparsity on a %.2f grid whose mean %s over %d seed(s) (%.4f) stays within %.4f"
                + " of the unpruned %.4f, found by bisection (%d of %d grid points measured, %d of"
                + " them by the grid rows)",
            target.step(),
            metric.id(),
            perSeed.size(),
            chosenMean,
            target.maxMetricDrop(),
            dense,
            means.size(),
            grid.size(),
            known.stream().filter(means::containsKey).count());
    return new TargetChoice("maxMetricDrop", chosen, target.maxMetricDrop(), chosenMean, reason);
  }

  private ToDoubleFunction<HeadRef> norms() {
    if (weightNorms == null) {
      weightNorms = Criterion.weightNorms(model.heads(), model.headWeightNorms());
    }
    return weightNorms;
  }

  /**
   * The heads {@code criterion} prunes at {@code sparsity} on seed {@code seed}'s calibration
   * sample.
   */
  private List<HeadRef> select(Criterion criterion, int seed, double sparsity, double alpha) {
    return select(criterion, seed, sparsity, alpha, perSeed.get(seed), samples.get(seed));
  }

  /**
   * The heads {@code criterion} prunes at {@code sparsity} given seed {@code seed}'s scores {@code
   * raw} on {@code sample} (which an iterative selection re-scores).
   */
  private List<HeadRef> select(
      Criterion criterion,
      int seed,
      double sparsity,
      double alpha,
      RawScores raw,
      List<Encoded> sample) {
    ScoreTable table = ScoreTable.of(raw, alpha, options.normalization());
    if (!options.iterative()) {
      return oneShot(criterion, table, seed, sparsity);
    }
    return iterative(
        criterion,
        seed,
        sparsity,
        alpha,
        table,
        pruned ->
            HeadScorer.score(
                model,
                sample,
                options.batchSize(),
                pruned,
                counting(Phase.SCORE, sample.size(), within())));
  }

  /** One-shot selection on {@code table}: global, or whole key/value groups per layer. */
  private List<HeadRef> oneShot(Criterion criterion, ScoreTable table, int seed, double sparsity) {
    if (!options.uniformGroups()) {
      return Pruner.select(criterion, table, norms(), seed, sparsity, options.minHeadsPerLayer());
    }
    int hidden = model.config().hiddenSize();
    List<HeadRef> heads = table.heads().stream().map(HeadScore::ref).toList();
    return HeadSelector.uniformGroups(
        heads,
        criterion.scores(table, norms(), seed),
        sparsity,
        model.config().keyValueHeads(),
        left -> !(options.loadableByV5() || model.headsMustDivideHidden()) || hidden % left == 0);
  }

  /**
   * Iterative selection (§3.8): prune {@code step} of the heads at a time, re-scoring the model
   * with the heads pruned so far gated off; scores are normalised over the remaining heads.
   */
  private List<HeadRef> iterative(
      Criterion criterion,
      int seed,
      double sparsity,
      double alpha,
      ScoreTable first,
      Function<Set<HeadRef>, RawScores> rescore) {
    return iterative(criterion, seed, sparsity, alpha, first, rescore, options, norms());
  }

  /** Iterative selection with {@code options}' step, normalisation and per-layer minimum. */
  static List<HeadRef> iterative(
      Criterion criterion,
      int seed,
      double sparsity,
      double alpha,
      ScoreTable first,
      Function<Set<HeadRef>, RawScores> rescore,
      PruneOptions options,
      ToDoubleFunction<HeadRef> norms) {
    int total = first.heads().size();
    int wanted = HeadSelector.count(sparsity, total);
    Set<HeadRef> pruned = new TreeSet<>();
    ScoreTable table = first;
    for (double reached = options.step(); pruned.size() < wanted; reached += options.step()) {
      int target =
          reached >= sparsity - 1e-9
              ? wanted
              : Math.min(wanted, HeadSelector.count(reached, total));
      if (!pruned.isEmpty()) {
        table = ScoreTable.of(rescore.apply(pruned), alpha, options.normalization(), pruned);
      }
      List<HeadRef> remaining = table.heads().stream().map(HeadScore::ref).toList();
      List<HeadRef> more =
          HeadSelector.selectCount(
              remaining,
              criterion.scores(table, norms, seed),
              target - pruned.size(),
              options.minHeadsPerLayer());
      if (more.isEmpty() && target == wanted) {
        break; // every layer is down to minHeadsPerLayer
      }
      pruned.addAll(more);
    }
    return List.copyOf(pruned);
  }

  /** Grid points measured past a boundary the bisection found, in case the metric recovers. */
  static final int LOOK_PAST = 2;

  /** The points a bisection over {@code points} measures at most: ⌈log₂(points + 1)⌉. */
  static int bisectionSteps(int points) {
    return 32 - Integer.numberOfLeadingZeros(points);
  }

  /**
   * The largest index in [0, {@code points}) for which {@code within} holds, or −1, found by
   * bisection — the metric worsens as sparsity grows, so about log₂(points) measurements — then the
   * {@link #LOOK_PAST} points past the boundary are measured too: when one of them is within (a
   * metric that recovers a little), the search goes on above it. Each point is asked once.
   */
  static int largestWithinBySearch(int points, IntPredicate within) {
    return largestWithinBySearch(points, within, List.of());
  }

  /**
   * As above, asking first the points of {@code known} (already measured, so free): the largest of
   * them within and the first not within above it bracket the bisection.
   */
  static int largestWithinBySearch(int points, IntPredicate within, Collection<Integer> known) {
    Map<Integer, Boolean> asked = new HashMap<>();
    IntPredicate once = i -> asked.computeIfAbsent(i, at -> within.test(at));
    int low = -1; // within (−1: the dense model, within by definition)
    int high = points; // not within (points: past the grid)
    List<Integer> free = known.stream().filter(i -> i >= 0 && i < points).sorted().toList();
    for (int i : free) {
      if (once.test(i)) {
        low = i;
      }
    }
    for (int i : free) {
      if (i > low && !once.test(i)) {
        high = i;
        break;
      }
    }
    while (true) {
      while (high - low > 1) {
        int middle = (low + high) >>> 1;
        if (once.test(middle)) {
          low = middle;
        } else {
          high = middle;
        }
      }
      int recovered = -1;
      for (int i = low + 1; i <= Math.min(points - 1, low + LOOK_PAST); i++) {
        if (once.test(i)) {
          recovered = i;
        }
      }
      if (recovered < 0) {
        return low;
      }
      low = recovered;
      high = points;
    }
  }

  /** Evaluates {@code heads} gated off on {@code part}; identical head sets are evaluated once. */
  Evaluation evaluate(List<HeadRef> heads, Part part) {
    Map<List<HeadRef>, Evaluation> forPart = cache.computeIfAbsent(part, p -> new HashMap<>());
    Evaluation cached = forPart.get(heads);
    if (cached != null) {
      return cached;
    }
    Evaluator.Outcome outcome =
        Evaluator.run(
            model,
            part.examples(),
            new HashSet<>(heads),
            metric,
            part.labels(),
            evaluationBatch(),
            counting(phase, part.examples().size(), within()));
    Evaluation result = new Evaluation(outcome.value(), outcome.agreement(part.dense()));
    forPart.put(List.copyOf(heads), result);
    return result;
  }
}
