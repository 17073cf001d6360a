package io.headprune.pruning;

import io.headprune.model.HeadModel;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.Evaluator;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.Metric;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.Predictions;
import io.headprune.scoring.ScaledHeads;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's evaluations of gated-off head sets on its data parts: each distinct set is evaluated once
 * on a part, and sets evaluated together share the passes of the layers whose gates they agree on
 * (the shared-prefix evaluation of {@link Evaluator#runAll}).
 */
final class Evaluations {

  /** One evaluation of a set of gated-off heads on a data part. */
  record Evaluation(double value, double agreement) {}

  /** A data part with the unpruned model's outcome and the labels a classifier's metric uses. */
  record Part(List<Encoded> examples, Evaluator.Outcome dense, double[] labels) {

    double denseValue() {
      return dense.value();
    }
  }

  private final HeadModel model;
  private final Metric metric;
  private final int batch;
  private final RunProgress account;

  /** Evaluations by data part (by identity) and head set. */
  private final Map<Part, Map<List<HeadRef>, Evaluation>> cache = new IdentityHashMap<>();

  /**
   * @param batch examples per evaluation batch
   */
  Evaluations(HeadModel model, Metric metric, int batch, RunProgress account) {
    this.model = model;
    this.metric = metric;
    this.batch = batch;
    this.account = account;
  }

  Metric metric() {
    return metric;
  }

  /**
   * {@code examples} as a part: the unpruned model's outcome on them (phase "dense"), and the
   * labels a classifier's metric reads (its own prediction where an example has none).
   */
  Part part(List<Encoded> examples) {
    if (model.config().languageModel()) {
      return new Part(
          examples,
          Evaluator.run(
              model,
              examples,
              Set.of(),
              metric,
              null,
              batch,
              account.counting(Phase.DENSE, examples.size(), account.dense())),
          null);
    }
    boolean regression = model.config().labels().regression();
    double[] dense =
        Predictions.predicted(
            ModelRunner.logits(
                model,
                examples,
                Set.of(),
                batch,
                account.counting(Phase.DENSE, examples.size(), account.dense())),
            regression);
    double[] labels = new double[examples.size()];
    for (int i = 0; i < labels.length; i++) {
      Double label = examples.get(i).label();
      labels[i] = label != null ? label : dense[i];
    }
    return new Part(examples, new Evaluator.Outcome(metric.compute(dense, labels), dense), labels);
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
            batch,
            account.counting(account.phase(), part.examples().size(), account.within()));
    Evaluation result = new Evaluation(outcome.value(), outcome.agreement(part.dense()));
    forPart.put(List.copyOf(heads), result);
    return result;
  }

  /**
   * Evaluates on {@code part} every set of {@code sets} not evaluated there yet, in one shared run;
   * progress: {@code phase}, in units of the {@code cells} the sets stand for, ending at all of
   * them.
   */
  void evaluateAll(List<List<HeadRef>> sets, Part part, long cells, Phase phase) {
    evaluateAll(sets, part, cells, phase, account.reports());
    account.reports().report(phase, cells, cells);
  }

  /** As above, reporting progress in units of {@code cells} to {@code to}, without the end. */
  void evaluateAll(List<List<HeadRef>> sets, Part part, long cells, Phase phase, Progress to) {
    Map<List<HeadRef>, Evaluation> forPart = cache.computeIfAbsent(part, p -> new HashMap<>());
    List<List<HeadRef>> missing = unmeasured(sets, forPart);
    account.skipped(phase, (long) (sets.size() - missing.size()) * part.examples().size());
    List<Evaluator.Outcome> outcomes =
        Evaluator.runAll(
            model,
            part.examples(),
            missing.stream().map(HashSet::new).toList(),
            metric,
            part.labels(),
            batch,
            account.counting(
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

  /** A rescaled head set evaluated on {@code part} (not cached: the cache keys are head sets). */
  Evaluation evaluateScaled(ScaledHeads scales, Part part) {
    Evaluator.Outcome outcome =
        Evaluator.run(
            model,
            part.examples(),
            scales,
            metric,
            part.labels(),
            batch,
            account.counting(Phase.RECOVER, part.examples().size(), account.within()));
    return new Evaluation(outcome.value(), outcome.agreement(part.dense()));
  }

  /** The distinct sets of {@code sets} that {@code known} has no result for yet. */
  static List<List<HeadRef>> unmeasured(List<List<HeadRef>> sets, Map<List<HeadRef>, ?> known) {
    return sets.stream().map(List::copyOf).distinct().filter(s -> !known.containsKey(s)).toList();
  }
}
