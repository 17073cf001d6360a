package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.headprune.checkpoint.TextTokenizer.Tokens;
import java.util.Arrays;
import java.util.List;

/**
 * A batch of examples on one (per-batch) manager: right-padded tokens, or images.
 *
 * <p>Shapes: B batch, T tokens (the longest example of the batch), H × W image size.
 *
 * @param inputIds (B, T) int64, or null for images
 * @param typeIds (B, T) int64, or null for images
 * @param attentionMask (B, T) float32, 1 for real tokens and 0 for padding; null for images
 * @param pixelValues (B, 3, H, W) float32, or null for text
 * @param lengths number of real tokens of each example (an image's: its patches + 1)
 */
public record Batch(
    NDArray inputIds, NDArray typeIds, NDArray attentionMask, NDArray pixelValues, int[] lengths) {

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
      Arrays.fill(ids, b * length, (b + 1) * length, padId);
      System.arraycopy(tokens.ids(), 0, ids, b * length, tokens.length());
      System.arraycopy(tokens.typeIds(), 0, types, b * length, tokens.length());
      Arrays.fill(mask, b * length, b * length + tokens.length(), 1f);
    }
    Shape shape = new Shape(size, length);
    return new Batch(
        manager.create(ids, shape),
        manager.create(types, shape),
        manager.create(mask, shape),
        null,
        lengths);
  }

  /**
   * Stacks images of {@code height × width} (each 3 × H × W float32, channels first) on {@code
   * manager}; each counts {@code tokens} real tokens.
   */
  public static Batch ofImages(
      NDManager manager, List<float[]> images, int height, int width, int tokens) {
    int plane = 3 * height * width;
    float[] values = new float[images.size() * plane];
    for (int b = 0; b < images.size(); b++) {
      float[] image = images.get(b);
      if (image.length != plane) {
        throw new IllegalArgumentException(
            "image " + b + " has " + image.length + " values, expected " + plane);
      }
      System.arraycopy(image, 0, values, b * plane, plane);
    }
    int[] lengths = new int[images.size()];
    Arrays.fill(lengths, tokens);
    return new Batch(
        null,
        null,
        null,
        manager.create(values, new Shape(images.size(), 3, height, width)),
        lengths);
  }
}
