package io.headprune.pruning;

import io.headprune.model.HeadModel;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Phase;
import io.headprune.pruning.PruneReport.AlphaChoice;
import io.headprune.pruning.PruneReport.AlphaTrial;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Divergence;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.Metric;
import io.headprune.scoring.RawScores;
import io.headprune.scoring.ScoreTable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * α per sparsity: the fixed one, or the one its rule chooses there on first need — every α of the
 * grid tried on every seed, the lowest mean KL from the unpruned model's outputs (divergence) or
 * the best validation metric (metric), then of those within one standard error the α whose seeds
 * agree most. Divergences are measured once per seed and head set, whatever α or sparsity asks.
 */
final class AlphaSearch {

  private final HeadModel model;
  private final PruneOptions options;
  private final Metric metric;
  private final List<RawScores> perSeed;
  private final HeadSelection selection;
  private final Evaluations evaluations;
  private final Evaluations.Part validation;
  private final IntFunction<List<Encoded>> heldOut;
  private final int batch;
  private final RunProgress account;

  /** α per sparsity, chosen on first need (fixed α: never). */
  private final Map<Double, PruneReport.AlphaAtSparsity> alphas = new TreeMap<>();

  /** Per seed: the unpruned model's outputs on its held-out examples, for the divergence rule. */
  private final Map<Integer, Divergence.Reference> references = new HashMap<>();

  /** Mean KL by seed and head set: identical selections are measured once. */
  private final Map<Integer, Map<List<HeadRef>, Double>> divergences = new HashMap<>();

  private long trials;

  /**
   * @param perSeed the seeds' scores
   * @param validation the validation split the metric rule measures on (null when there is none)
   * @param heldOut per seed, the examples the divergence rule measures on
   * @param batch examples per evaluation batch
   */
  AlphaSearch(
      HeadModel model,
      PruneOptions options,
      Metric metric,
      List<RawScores> perSeed,
      HeadSelection selection,
      Evaluations evaluations,
      Evaluations.Part validation,
      IntFunction<List<Encoded>> heldOut,
      int batch,
      RunProgress account) {
    this.model = model;
    this.options = options;
    this.metric = metric;
    this.perSeed = perSeed;
    this.selection = selection;
    this.evaluations = evaluations;
    this.validation = validation;
    this.heldOut = heldOut;
    this.batch = batch;
    this.account = account;
  }

  /** The α at {@code sparsity}: the fixed one, or the one its rule chooses there (once). */
  double at(double sparsity) {
    if (options.alpha() instanceof Alpha.Fixed fixed) {
      return fixed.value();
    }
    PruneReport.AlphaAtSparsity chosen = alphas.get(sparsity);
    if (chosen == null) {
      Alpha.Rule rule = ((Alpha.Auto) options.alpha()).by();
      chosen = choose(sparsity, rule);
      alphas.put(sparsity, chosen);
      account.event("alpha", explain(chosen, rule, examples(rule)));
    }
    return chosen.alpha();
  }

  /**
   * Tries every α of the grid at {@code sparsity} on every seed (one-shot HIES selection on the
   * seed's scores, even for an iterative run: the grid would cost eleven iterative runs) and keeps
   * the best mean: the lowest KL for divergence, the best metric for metric. Ties go to the larger
   * α.
   */
  private PruneReport.AlphaAtSparsity choose(double sparsity, Alpha.Rule rule) {
    double[] grid = PruneOptions.ALPHA_GRID;
    double[][] values = new double[grid.length][perSeed.size()];
    List<List<List<HeadRef>>> selections = new ArrayList<>(); // [α][seed]
    for (int a = 0; a < grid.length; a++) {
      selections.add(new ArrayList<>());
    }
    long total = (long) grid.length * perSeed.size() * Math.max(1, options.sparsities().size());
    for (int seed = 0; seed < perSeed.size(); seed++) {
      account.reports().report(Phase.ALPHA, Math.min(trials, total - 1), total);
      trials += grid.length;
      List<List<HeadRef>> sets = new ArrayList<>();
      for (int a = 0; a < grid.length; a++) {
        List<HeadRef> set =
            selection.oneShot(
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
              : sets.stream()
                  .mapToDouble(heads -> evaluations.evaluate(heads, validation).value())
                  .toArray();
      for (int a = 0; a < grid.length; a++) {
        values[a][seed] = perAlpha[a];
      }
    }
    List<AlphaTrial> tried = new ArrayList<>();
    for (int a = 0; a < grid.length; a++) {
      double mean = Arrays.stream(values[a]).average().orElse(Double.NaN);
      double standardError = Summaries.sampleStd(values[a], mean) / Math.sqrt(values[a].length);
      tried.add(
          new AlphaTrial(grid[a], mean, standardError, Summaries.jaccardWithin(selections.get(a))));
    }
    List<AlphaTrial> flagged = withinNoise(tried, rule, metric);
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

  /**
   * Mean KL(dense ‖ pruned) of seed {@code seed}'s held-out examples with each of {@code sets}
   * gated off; sets measured before are not run again, the others share one run.
   */
  private double[] divergences(int seed, List<List<HeadRef>> sets) {
    Map<List<HeadRef>, Double> forSeed = divergences.computeIfAbsent(seed, s -> new HashMap<>());
    List<List<HeadRef>> missing = Evaluations.unmeasured(sets, forSeed);
    if (!missing.isEmpty()) {
      Divergence.Reference reference =
          references.computeIfAbsent(
              seed,
              s -> {
                List<Encoded> examples = heldOut.apply(s);
                return Divergence.reference(
                    model,
                    examples,
                    batch,
                    account.counting(Phase.DENSE, examples.size(), account.dense()));
              });
      double[] means =
          Divergence.means(
              model,
              reference,
              missing.stream().map(HashSet::new).toList(),
              batch,
              account.counting(
                  Phase.ALPHA, (long) missing.size() * reference.size(), account.within()));
      for (int i = 0; i < missing.size(); i++) {
        forSeed.put(missing.get(i), means[i]);
      }
    }
    // the sets measured before (here, or at another α) cost nothing: the plan counted them
    Divergence.Reference measuredOn = references.get(seed);
    if (measuredOn != null) {
      account.skipped(Phase.ALPHA, (long) (sets.size() - missing.size()) * measuredOn.size());
    }
    return sets.stream().mapToDouble(set -> forSeed.get(List.copyOf(set))).toArray();
  }

  /** The report's account of α: per sparsity, and for the artifact in one sentence. */
  AlphaChoice report(double artifactAlpha, double artifactSparsity) {
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
    int examples = examples(auto.by());
    PruneReport.AlphaAtSparsity chosen = alphas.get(artifactSparsity);
    String explanation = explain(chosen, auto.by(), examples);
    return new AlphaChoice(
        artifactAlpha, true, auto.by().id(), examples, List.copyOf(alphas.values()), explanation);
  }

  /** The examples α's rule measures on: a seed's held-out set, or the validation split. */
  private int examples(Alpha.Rule rule) {
    return rule == Alpha.Rule.DIVERGENCE
        ? (perSeed.isEmpty() ? 0 : heldOut.apply(0).size())
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
            .map(t -> text(t.alpha()))
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
                text(bestMean.alpha()),
                bestMean.mean(),
                bestMean.standardError(),
                text(chosen.alpha()),
                chosen.mean());
    return String.format(
        Locale.ROOT,
        "α = %s at sparsity %s by %s over %d seed(s): of the α within one standard error of the"
            + " best (%s), %s",
        text(chosen.alpha()),
        BigDecimal.valueOf(at.sparsity()).stripTrailingZeros().toPlainString(),
        measure,
        perSeed.size(),
        within,
        stability);
  }

  private static String text(double alpha) {
    return BigDecimal.valueOf(alpha).stripTrailingZeros().toPlainString();
  }
}
