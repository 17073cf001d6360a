package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.headprune.checkpoint.TextTokenizer.Tokens;
import java.util.List;

/**
 * A right-padded batch of tokenized examples on one (per-batch) manager.
 *
 * <p>Shapes: B batch, T tokens (the longest example of the batch).
 *
 * @param inputIds (B, T) int64
 * @param typeIds (B, T) int64
 * @param attentionMask (B, T) float32, 1 for real tokens and 0 for padding
 * @param lengths number of real tokens of each example
 */
public record Batch(NDArray inputIds, NDArray typeIds, NDArray attentionMask, int[] lengths) {

  public Batch {
    lengths = lengths.clone();
  }

  @Override
  public int[] lengths() {
    return lengths.clone();
  }

  /** Number of examples. */
  public int size() {
    return lengths.length;
  }

  /** Pads {@code examples} to the longest one and places them on {@code manager}. */
  public static Batch of(NDManager manager, List<Tokens> examples, long padId) {
    int size = examples.size();
    int length = examples.stream().mapToInt(Tokens::length).max().orElse(0);
    long[] ids = new long[size * length];
    long[] types = new long[size * length];
    float[] mask = new float[size * length];
    int[] lengths = new int[size];
    for (int b = 0; b < size; b++) {
      Tokens tokens = examples.get(b);
      lengths[b] = tokens.length();
      java.util.Arrays.fill(ids, b * length, (b + 1) * length, padId);
      System.arraycopy(tokens.ids(), 0, ids, b * length, tokens.length());
      System.arraycopy(tokens.typeIds(), 0, types, b * length, tokens.length());
      java.util.Arrays.fill(mask, b * length, b * length + tokens.length(), 1f);
    }
    Shape shape = new Shape(size, length);
    return new Batch(manager.create(ids, shape), manager.create(types, shape), manager.create(mask, shape), lengths);
  }
}
