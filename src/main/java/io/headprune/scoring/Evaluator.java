package io.headprune.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.TextTokenizer.Tokens;
import io.headprune.model.Autograd;
import io.headprune.model.Batch;
import io.headprune.model.HeadModel;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Evaluates a model with some heads gated off (§3.10), without gradients: a classifier's metric
 * over its predictions; a causal LM's perplexity over every predicted token, its predictions being
 * the argmax token at each position; a multiple-choice item's prediction the choice whose tokens
 * have the largest summed log-probability. Agreement compares predictions one to one.
 */
public final class Evaluator {

  /** Logits held at once by a language-model batch (floats): 64 M, 256 MB. */
  static final long LOGIT_BUDGET = 64L << 20;

  private Evaluator() {}

  /**
   * The result of one pass.
   *
   * @param value the metric
   * @param predictions one per prediction unit: example, predicted token, or choice item
   */
  public record Outcome(double value, double[] predictions) {

    /** Share of units predicted as {@code reference} predicts them (the stability proxy). */
    public double agreement(Outcome reference) {
      return Predictions.agreement(predictions, reference.predictions());
    }
  }

  /**
   * Runs {@code model} on {@code examples} with {@code gatedOff} at gate 0. {@code labels} are a
   * classifier's (unlabeled examples already filled in); other tasks read theirs from the data.
   */
  public static Outcome run(
      HeadModel model,
      List<Encoded> examples,
      Collection<HeadRef> gatedOff,
      Metric metric,
      double[] labels,
      int batchSize,
      Progress progress) {
    Autograd.offForThisThread();
    if (!examples.isEmpty() && examples.get(0).choices() != null) {
      return choices(model, examples, gatedOff, metric, batchSize, progress);
    }
    if (model.config().languageModel()) {
      return languageModel(model, examples, gatedOff, batchSize, progress);
    }
    double[] predicted =
        Predictions.predicted(
            ModelRunner.logits(model, examples, gatedOff, batchSize, progress),
            model.config().labels().regression());
    return new Outcome(metric.compute(predicted, labels), predicted);
  }

  /**
   * {@link #run} for each head set of {@code sets}, in order. A classifier's sets, and a causal
   * LM's on text, share the passes of the layers on which their gates agree ({@link
   * ModelRunner#shared}); multiple-choice items, and models that run only whole, run set by set.
   */
  public static List<Outcome> runAll(
      HeadModel model,
      List<Encoded> examples,
      List<? extends Collection<HeadRef>> sets,
      Metric metric,
      double[] labels,
      int batchSize,
      Progress progress) {
    Autograd.offForThisThread();
    boolean choices = !examples.isEmpty() && examples.get(0).choices() != null;
    List<Outcome> outcomes = new ArrayList<>(sets.size());
    if (!choices && model.config().languageModel() && model.stages() != null && !sets.isEmpty()) {
      // the sets share the passes of the layers on which their gates agree
      List<Perplexity> results = new ArrayList<>(sets.size());
      sets.forEach(set -> results.add(new Perplexity(examples)));
      ModelRunner.shared(
          model,
          examples,
          Buckets.of(examples, languageModelBatch(model, examples, batchSize)),
          sets,
          (set, indices, batch, logits) -> results.get(set).add(indices, nextTokens(logits, batch)),
          progress);
      results.forEach(result -> outcomes.add(result.outcome()));
      return outcomes;
    }
    if (choices || model.config().languageModel()) {
      for (int s = 0; s < sets.size(); s++) {
        int set = s;
        outcomes.add(
            run(
                model,
                examples,
                sets.get(s),
                metric,
                labels,
                batchSize,
                (phase, done, total) ->
                    progress.report(phase, (long) set * total + done, (long) sets.size() * total)));
      }
      return outcomes;
    }
    boolean regression = model.config().labels().regression();
    for (float[][] logits : ModelRunner.logits(model, examples, sets, batchSize, progress)) {
      double[] predicted = Predictions.predicted(logits, regression);
      outcomes.add(new Outcome(metric.compute(predicted, labels), predicted));
    }
    return outcomes;
  }

  /** Examples per batch that keep (B, T, V) logits within the budget. */
  private static int languageModelBatch(HeadModel model, List<Encoded> examples, int batchSize) {
    long longest = examples.stream().mapToLong(Encoded::length).max().orElse(1);
    long vocabulary = model.config().raw().path("vocab_size").asLong(1);
    return (int) Math.max(1, Math.min(batchSize, LOGIT_BUDGET / Math.max(1, longest * vocabulary)));
  }

  private static Outcome languageModel(
      HeadModel model,
      List<Encoded> examples,
      Collection<HeadRef> gatedOff,
      int batchSize,
      Progress progress) {
    Perplexity result = new Perplexity(examples);
    List<int[]> batches = Buckets.of(examples, languageModelBatch(model, examples, batchSize));
    int done = 0;
    for (int[] indices : batches) {
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
        result.add(indices, nextTokens(model, scope, batch, gatedOff));
      }
      progress.report(Phase.EVALUATE, ++done, batches.size());
    }
    return result.outcome();
  }

  /**
   * A causal LM's perplexity over every predicted token of {@code examples}, with its argmax
   * predictions, gathered batch by batch in any order.
   */
  private static final class Perplexity {
    private final int[] offsets;
    private final double[] predictions;
    private double negativeLogLikelihood;

    Perplexity(List<Encoded> examples) {
      offsets = new int[examples.size() + 1];
      for (int i = 0; i < examples.size(); i++) {
        offsets[i + 1] = offsets[i] + Math.max(0, examples.get(i).length() - 1);
      }
      predictions = new double[offsets[examples.size()]];
    }

    /** The next-token predictions of the batch of {@code indices}. */
    void add(int[] indices, Predicted next) {
      int width = next.width();
      for (int b = 0; b < indices.length; b++) {
        int predicted = offsets[indices[b] + 1] - offsets[indices[b]];
        for (int t = 0; t < predicted; t++) {
          negativeLogLikelihood -= next.logProbabilities()[b * width + t];
          predictions[offsets[indices[b]] + t] = next.argmax()[b * width + t];
        }
      }
    }

    Outcome outcome() {
      double perplexity =
          predictions.length == 0
              ? Double.NaN
              : Math.exp(negativeLogLikelihood / predictions.length);
      return new Outcome(perplexity, predictions);
    }
  }

  /**
   * At every position t < T − 1: log p(x_{t+1} | x_{≤t}) and the argmax token, (B, T − 1) each,
   * row-major.
   */
  private record Predicted(float[] logProbabilities, long[] argmax, int width) {}

  private static Predicted nextTokens(
      HeadModel model, NDManager scope, Batch batch, Collection<HeadRef> gatedOff) {
    if (batch.inputIds().getShape().get(1) < 2) {
      return new Predicted(new float[0], new long[0], 0);
    }
    return nextTokens(
        model.logits(batch, ModelRunner.gates(scope, model.heads(), gatedOff)), batch); // (B, T, V)
  }

  /** The next-token predictions of {@code logits} (B, T, V) on {@code batch}. */
  private static Predicted nextTokens(NDArray logits, Batch batch) {
    int tokens = (int) batch.inputIds().getShape().get(1);
    if (tokens < 2) {
      return new Predicted(new float[0], new long[0], 0);
    }
    NDArray previous = logits.get(":, :-1, :"); // (B, T−1, V)
    NDArray picked =
        previous
            .logSoftmax(2)
            .gather(batch.inputIds().get(":, 1:").expandDims(2), 2); // (B, T−1, 1)
    return new Predicted(picked.toFloatArray(), previous.argMax(2).toLongArray(), tokens - 1);
  }

  private static Outcome choices(
      HeadModel model,
      List<Encoded> items,
      Collection<HeadRef> gatedOff,
      Metric metric,
      int batchSize,
      Progress progress) {
    boolean normalized = metric == Metric.ACC_NORM;
    double[] predictions = new double[items.size()];
    double[] labels = new double[items.size()];
    List<int[]> batches =
        Buckets.of(items, Math.max(1, languageModelBatch(model, items, batchSize) / 4));
    int done = 0;
    for (int[] indices : batches) {
      List<Tokens> sequences = new ArrayList<>();
      for (int i : indices) {
        sequences.addAll(items.get(i).choices().sequences());
      }
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Batch.of(scope, sequences, model.config().padTokenId());
        Predicted next = nextTokens(model, scope, batch, gatedOff);
        int row = 0;
        for (int i : indices) {
          Encoded.Choices item = items.get(i).choices();
          double[] lls = new double[item.sequences().size()];
          for (int c = 0; c < item.sequences().size(); c++, row++) {
            double score = 0;
            for (int t = Math.max(1, item.contextLengths()[c]);
                t < item.sequences().get(c).length();
                t++) {
              score += next.logProbabilities()[row * next.width() + t - 1];
            }
            lls[c] = score;
          }
          predictions[i] = pick(lls, item.lengths(), normalized);
          labels[i] = items.get(i).label();
        }
      }
      progress.report(Phase.EVALUATE, ++done, batches.size());
    }
    // acc and acc_norm alike: the share of items whose best choice is the right one
    return new Outcome(Metric.ACCURACY.compute(predictions, labels), predictions);
  }

  /**
   * The choice lm-evaluation-harness predicts (api/task.py, multiple_choice process_results):
   * {@code acc} the argmax of the log-likelihoods, {@code acc_norm} the argmax of each divided by
   * its choice's length in characters; ties to the first.
   */
  static int pick(double[] logLikelihoods, double[] lengths, boolean normalized) {
    int best = 0;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < logLikelihoods.length; c++) {
      double score = normalized ? logLikelihoods[c] / lengths[c] : logLikelihoods[c];
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    return best;
  }
}
