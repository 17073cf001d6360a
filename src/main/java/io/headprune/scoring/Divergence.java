package io.headprune.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.headprune.model.Autograd;
import io.headprune.model.Batch;
import io.headprune.model.HeadModel;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * How far a pruned model's outputs move from the unpruned model's: the mean KL(dense ‖ pruned) of
 * their output distributions over examples that need no labels. A classifier (text or image)
 * compares its class distributions, one per example; a causal language model its next-token
 * distributions at every predicted position (mean over positions); a regression head, which has no
 * distribution, the mean squared difference of its outputs. Used to choose α per sparsity.
 */
public final class Divergence {

  private Divergence() {}

  /**
   * The unpruned model's outputs on a set of examples, kept to compare pruned runs with. A language
   * model's (B, T, V) logits are too large to keep: its dense pass runs again beside every pruned
   * one.
   */
  public static final class Reference {
    final List<Encoded> examples;
    final float[][] logits; // (N, C); null for a language model

    private Reference(List<Encoded> examples, float[][] logits) {
      this.examples = List.copyOf(examples);
      this.logits = logits;
    }

    public int size() {
      return examples.size();
    }
  }

  /** The dense model's reference on {@code examples}. */
  public static Reference reference(
      HeadModel model, List<Encoded> examples, int batchSize, Progress progress) {
    Autograd.offForThisThread();
    if (model.config().languageModel()) {
      return new Reference(examples, null);
    }
    return new Reference(
        examples, ModelRunner.logits(model, examples, Set.of(), batchSize, progress));
  }

  /** Mean KL(dense ‖ pruned) over the reference's examples with {@code gatedOff} at gate 0. */
  public static double mean(
      HeadModel model,
      Reference reference,
      Collection<HeadRef> gatedOff,
      int batchSize,
      Progress progress) {
    if (reference.examples.isEmpty()) {
      return Double.NaN;
    }
    Autograd.offForThisThread();
    if (reference.logits == null) {
      return languageModel(model, reference.examples, gatedOff, batchSize, progress);
    }
    return fromLogits(
        reference, ModelRunner.logits(model, reference.examples, gatedOff, batchSize, progress));
  }

  /**
   * {@link #mean} for each head set of {@code sets}; a classifier's sets share the passes of the
   * layers their gates agree on.
   */
  public static double[] means(
      HeadModel model,
      Reference reference,
      List<? extends Collection<HeadRef>> sets,
      int batchSize,
      Progress progress) {
    double[] means = new double[sets.size()];
    if (reference.examples.isEmpty() || reference.logits == null) {
      for (int s = 0; s < sets.size(); s++) {
        means[s] = mean(model, reference, sets.get(s), batchSize, progress);
      }
      return means;
    }
    float[][][] pruned = ModelRunner.logits(model, reference.examples, sets, batchSize, progress);
    for (int s = 0; s < sets.size(); s++) {
      means[s] = fromLogits(reference, pruned[s]);
    }
    return means;
  }

  private static double fromLogits(Reference reference, float[][] pruned) {
    double sum = 0;
    for (int i = 0; i < pruned.length; i++) {
      sum +=
          reference.logits[i].length == 1
              ? square(reference.logits[i][0] - pruned[i][0])
              : kl(reference.logits[i], pruned[i]);
    }
    return sum / pruned.length;
  }

  private static double square(double x) {
    return x * x;
  }

  /** KL(softmax(p) ‖ softmax(q)) in double precision, from logits. */
  public static double kl(float[] p, float[] q) {
    double[] logP = logSoftmax(p);
    double[] logQ = logSoftmax(q);
    double sum = 0;
    for (int c = 0; c < p.length; c++) {
      sum += Math.exp(logP[c]) * (logP[c] - logQ[c]);
    }
    return Math.max(0, sum); // rounding can leave −1e-17 for identical distributions
  }

  private static double[] logSoftmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float value : logits) {
      max = Math.max(max, value);
    }
    double sum = 0;
    for (float value : logits) {
      sum += Math.exp(value - max);
    }
    double log = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int c = 0; c < logits.length; c++) {
      out[c] = logits[c] - log;
    }
    return out;
  }

  /** Next-token KL at every predicted position t < length − 1, averaged over all of them. */
  private static double languageModel(
      HeadModel model,
      List<Encoded> examples,
      Collection<HeadRef> gatedOff,
      int batchSize,
      Progress progress) {
    double sum = 0;
    long positions = 0;
    long longest = examples.stream().mapToLong(Encoded::length).max().orElse(1);
    long vocabulary = model.config().raw().path("vocab_size").asLong(1);
    // two (B, T, V) float64 copies live at once: half the evaluator's budget per example
    int size =
        (int)
            Math.max(
                1,
                Math.min(
                    batchSize, Evaluator.LOGIT_BUDGET / 4 / Math.max(1, longest * vocabulary)));
    List<int[]> batches = Buckets.of(examples, size);
    int done = 0;
    for (int[] indices : batches) {
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
        int tokens = (int) batch.inputIds().getShape().get(1);
        if (tokens >= 2) {
          NDArray logP =
              model
                  .logits(batch, null)
                  .get(":, :-1, :")
                  .toType(DataType.FLOAT64, false)
                  .logSoftmax(2); // (B, T−1, V)
          NDArray logQ =
              model
                  .logits(batch, ModelRunner.gates(scope, model.heads(), gatedOff))
                  .get(":, :-1, :")
                  .toType(DataType.FLOAT64, false)
                  .logSoftmax(2); // (B, T−1, V)
          double[] perPosition =
              logP.exp().mul(logP.sub(logQ)).sum(new int[] {2}).toDoubleArray(); // (B, T−1)
          for (int b = 0; b < indices.length; b++) {
            int predicted = Math.max(0, examples.get(indices[b]).length() - 1);
            for (int t = 0; t < predicted; t++) {
              sum += Math.max(0, perPosition[b * (tokens - 1) + t]);
            }
            positions += predicted;
          }
        }
      }
      progress.report(Phase.ALPHA, ++done, batches.size());
    }
    return positions == 0 ? Double.NaN : sum / positions;
  }
}
