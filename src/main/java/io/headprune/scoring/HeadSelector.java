package io.headprune.scoring;

import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** One-shot global selection of the heads to prune (§3.8). */
public final class HeadSelector {

  private HeadSelector() {}

  /** Number of heads pruned at {@code sparsity}: ⌊ρ · total + 0.5⌋. */
  public static int count(double sparsity, int total) {
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw new InvalidInputException("sparsity " + sparsity + " is outside [0, 1)");
    }
    return (int) Math.floor(sparsity * total + 0.5);
  }

  /**
   * The heads to prune at {@code sparsity}: ascending score, ties by (layer, head), skipping any
   * head whose removal would leave its layer with fewer than {@code minHeadsPerLayer} heads.
   * Returned sorted by (layer, head).
   */
  public static List<HeadRef> select(List<HeadRef> heads, double[] scores, double sparsity, int minHeadsPerLayer) {
    return selectCount(heads, scores, count(sparsity, heads.size()), minHeadsPerLayer);
  }

  /** The {@code wanted} lowest-scoring heads under the same rules (fewer if layers run out). */
  public static List<HeadRef> selectCount(List<HeadRef> heads, double[] scores, int wanted, int minHeadsPerLayer) {
    if (heads.size() != scores.length) {
      throw new IllegalArgumentException(heads.size() + " heads but " + scores.length + " scores");
    }
    if (minHeadsPerLayer < 0) {
      throw new InvalidInputException("minHeadsPerLayer " + minHeadsPerLayer + " is negative");
    }
    Map<Integer, Integer> left = new HashMap<>();
    heads.forEach(head -> left.merge(head.layer(), 1, Integer::sum));
    Comparator<Integer> order =
        Comparator.<Integer>comparingDouble(i -> scores[i]).thenComparing(heads::get, Comparator.naturalOrder());
    List<HeadRef> pruned = new ArrayList<>();
    for (int i : IntStream.range(0, heads.size()).boxed().sorted(order).mapToInt(Integer::intValue).toArray()) {
      if (pruned.size() == wanted) {
        break;
      }
      HeadRef head = heads.get(i);
      if (left.get(head.layer()) - 1 < minHeadsPerLayer) {
        continue;
      }
      left.merge(head.layer(), -1, Integer::sum);
      pruned.add(head);
    }
    pruned.sort(Comparator.naturalOrder());
    return pruned;
  }
}
