package io.headprune.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Objects;

/** Per-example losses summed over a batch, so one backward pass gives every example's gradient. */
final class Losses {

  private Losses() {}

  /**
   * Σ_x L(x) of a causal language model (§3.2): Σ_{t=0}^{n−2} −log p(x_{t+1} | x_{≤t}) over each
   * example's real tokens. {@code logits} (B, T, V), {@code inputIds} (B, T).
   */
  static NDArray languageModelSum(NDArray logits, NDArray inputIds, int[] lengths) {
    NDManager scope = logits.getManager();
    int tokens = (int) inputIds.getShape().get(1);
    if (tokens < 2) {
      return logits.sum().mul(scope.create(0f)); // nothing to predict: zero loss, zero gradients
    }
    NDArray logProbabilities = logits.get(":, :-1, :").logSoftmax(2); // (B, T−1, V)
    NDArray targets = inputIds.get(":, 1:").expandDims(2); // (B, T−1, 1)
    NDArray picked = logProbabilities.gather(targets, 2).squeeze(2); // (B, T−1)
    float[] valid = new float[lengths.length * (tokens - 1)];
    for (int b = 0; b < lengths.length; b++) {
      for (int t = 0; t + 1 < lengths[b]; t++) {
        valid[b * (tokens - 1) + t] = 1f;
      }
    }
    return picked.mul(scope.create(valid, new Shape(lengths.length, tokens - 1))).sum().neg();
  }

  /**
   * Σ_x L(x): cross-entropy for classification, squared error for regression (§3.2). An unlabeled
   * example takes the model's own argmax (classification) or prediction (regression) as its label.
   */
  static NDArray perExampleSum(NDArray logits, Double[] labels, boolean regression) {
    NDManager scope = logits.getManager();
    int size = labels.length;
    if (regression) {
      NDArray prediction = logits.reshape(size); // (B)
      float[] predicted = prediction.toFloatArray();
      float[] targets = new float[size];
      for (int b = 0; b < size; b++) {
        targets[b] = labels[b] == null ? predicted[b] : labels[b].floatValue();
      }
      NDArray difference = prediction.sub(scope.create(targets)); // (B)
      return difference.mul(difference).sum();
    }
    int classes = (int) logits.getShape().get(1);
    boolean unlabeled = Arrays.stream(labels).anyMatch(Objects::isNull);
    long[] argmax =
        unlabeled ? logits.argMax(1).toLongArray() : null; // (B), only when some label is missing
    float[] oneHot = new float[size * classes];
    for (int b = 0; b < size; b++) {
      int label = labels[b] == null ? (int) argmax[b] : labels[b].intValue();
      oneHot[b * classes + label] = 1f;
    }
    NDArray target = scope.create(oneHot, new Shape(size, classes)); // (B, C)
    return logits.logSoftmax(1).mul(target).sum().neg();
  }
}
