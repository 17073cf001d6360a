package io.headprune.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.model.Autograd;
import io.headprune.model.Batch;
import io.headprune.model.HeadModel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Runs a model without gradients over many examples, optionally with heads gated off. */
public final class ModelRunner {

  /**
   * Padded tokens an inference batch may hold (the batch size caps the examples): nothing is kept
   * for a backward, so it can be larger than a scoring batch.
   */
  static final long BATCH_TOKENS = Long.getLong("headprune.inference.batch-tokens", 4096);

  private ModelRunner() {}

  /** Length-sorted batches of at most {@code batchSize} examples, little padding and bounded. */
  static List<int[]> batches(List<Encoded> examples, int batchSize) {
    return Buckets.byTokens(examples, batchSize, BATCH_TOKENS, Buckets.MAX_PADDING);
  }

  /** Logits of every example (input order), with the heads in {@code gatedOff} at gate 0. */
  public static float[][] logits(
      HeadModel model,
      List<Encoded> examples,
      Collection<HeadRef> gatedOff,
      int batchSize,
      Progress progress) {
    Autograd.offForThisThread();
    float[][] logits = new float[examples.size()][];
    List<int[]> batches = batches(examples, batchSize);
    int done = 0;
    for (int[] indices : batches) {
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
        NDArray out = model.logits(batch, gates(scope, model.heads(), gatedOff)); // (B, C)
        float[] flat = out.toFloatArray();
        int classes = (int) out.getShape().get(1);
        for (int b = 0; b < indices.length; b++) {
          float[] row = new float[classes];
          System.arraycopy(flat, b * classes, row, 0, classes);
          logits[indices[b]] = row;
        }
      }
      progress.report(Phase.EVALUATE, ++done, batches.size());
    }
    return logits;
  }

  /**
   * Runs the model over {@code examples} and discards the outputs, reading back one number per
   * batch so that an asynchronous device has finished: what a latency measurement times.
   */
  public static void run(HeadModel model, List<Encoded> examples, int batchSize) {
    Autograd.offForThisThread();
    for (int[] indices : batches(examples, batchSize)) {
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
        model.logits(batch, null).sum().toFloatArray();
      }
    }
  }

  /** One (1, H_l) gate per layer, 0 for the heads in {@code gatedOff}; null if none is off. */
  public static List<NDArray> gates(NDManager scope, int[][] heads, Collection<HeadRef> gatedOff) {
    if (gatedOff.isEmpty()) {
      return null;
    }
    List<NDArray> gates = new ArrayList<>(heads.length);
    for (int l = 0; l < heads.length; l++) {
      float[] values = new float[heads[l].length];
      for (int h = 0; h < values.length; h++) {
        values[h] = gatedOff.contains(new HeadRef(l, heads[l][h])) ? 0f : 1f;
      }
      gates.add(scope.create(values).reshape(1, values.length));
    }
    return gates;
  }
}
