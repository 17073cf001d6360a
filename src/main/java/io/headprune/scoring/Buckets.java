package io.headprune.scoring;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Groups examples into batches of similar length so that padding stays small. */
final class Buckets {

  private Buckets() {}

  /** Share of a batch's token slots padding may take before the batch closes. */
  static final double MAX_PADDING = 0.10;

  /** Indices into {@code examples}, sorted by length (stable), cut into batches of {@code size}. */
  static List<int[]> of(List<Encoded> examples, int size) {
    return byTokens(examples, size, Long.MAX_VALUE, 1.0);
  }

  /**
   * Batches for a pass over {@code examples}: at most {@code size} examples and {@code tokenBudget}
   * padded tokens (examples × longest) each — a single example longer than the budget is a batch of
   * its own — and a batch closes early rather than let padding pass {@code maxPadding} of its
   * slots. Memory and time then follow the real tokens: long texts come a few at a time, short ones
   * many, and little of either is spent on padding.
   */
  static List<int[]> byTokens(
      List<Encoded> examples, int size, long tokenBudget, double maxPadding) {
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
    for (int start = 0; start < order.length; ) {
      int end = start + 1;
      long real = examples.get(order[start]).length();
      while (end < order.length && end - start < size) {
        long longest = examples.get(order[end]).length();
        long slots = (end - start + 1) * longest;
        if (slots > tokenBudget || slots - (real + longest) > maxPadding * slots) {
          break;
        }
        real += longest;
        end++;
      }
      int[] batch = new int[end - start];
      System.arraycopy(order, start, batch, 0, batch.length);
      batches.add(batch);
      start = end;
    }
    return batches;
  }
}
