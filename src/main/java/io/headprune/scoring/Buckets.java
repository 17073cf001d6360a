package io.headprune.scoring;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Groups examples into batches of similar length so that padding stays small. */
final class Buckets {

  private Buckets() {}

  /** Indices into {@code examples}, sorted by length (stable), cut into batches of {@code size}. */
  static List<int[]> of(List<Encoded> examples, int size) {
    if (size < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + size);
    }
    int[] order =
        IntStream.range(0, examples.size())
            .boxed()
            .sorted(Comparator.comparingInt(i -> examples.get(i).length()))
            .mapToInt(Integer::intValue)
            .toArray();
    List<int[]> batches = new ArrayList<>();
    for (int start = 0; start < order.length; start += size) {
      int end = Math.min(order.length, start + size);
      int[] batch = new int[end - start];
      System.arraycopy(order, start, batch, 0, batch.length);
      batches.add(batch);
    }
    return batches;
  }
}
