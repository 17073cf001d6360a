package io.headprune.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Per-example losses summed over a batch, so one backward pass gives every example's gradient. */
final class Losses {

  private Losses() {}

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
    boolean unlabeled = java.util.Arrays.stream(labels).anyMatch(java.util.Objects::isNull);
    long[] argmax = unlabeled ? logits.argMax(1).toLongArray() : null; // (B), only when some label is missing
    float[] oneHot = new float[size * classes];
    for (int b = 0; b < size; b++) {
      int label = labels[b] == null ? (int) argmax[b] : labels[b].intValue();
      oneHot[b * classes + label] = 1f;
    }
    NDArray target = scope.create(oneHot, new Shape(size, classes)); // (B, C)
    return logits.logSoftmax(1).mul(target).sum().neg();
  }
}
