package io.headprune.scoring;

import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/** Selection of the heads to prune (§3.8): one-shot global, or whole key/value groups per layer. */
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
  public static List<HeadRef> select(
      List<HeadRef> heads, double[] scores, double sparsity, int minHeadsPerLayer) {
    return selectCount(heads, scores, count(sparsity, heads.size()), minHeadsPerLayer);
  }

  /** The {@code wanted} lowest-scoring heads under the same rules (fewer if layers run out). */
  public static List<HeadRef> selectCount(
      List<HeadRef> heads, double[] scores, int wanted, int minHeadsPerLayer) {
    if (heads.size() != scores.length) {
      throw new IllegalArgumentException(heads.size() + " heads but " + scores.length + " scores");
    }
    if (minHeadsPerLayer < 0) {
      throw new InvalidInputException("minHeadsPerLayer " + minHeadsPerLayer + " is negative");
    }
    Map<Integer, Integer> left = new HashMap<>();
    heads.forEach(head -> left.merge(head.layer(), 1, Integer::sum));
    Comparator<Integer> order =
        Comparator.<Integer>comparingDouble(i -> scores[i])
            .thenComparing(heads::get, Comparator.naturalOrder());
    List<HeadRef> pruned = new ArrayList<>();
    for (int i :
        IntStream.range(0, heads.size())
            .boxed()
            .sorted(order)
            .mapToInt(Integer::intValue)
            .toArray()) {
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

  /**
   * Uniform groups (§3.8): in every layer, the {@code k} key/value groups whose query heads have
   * the lowest mean score (ties: lower group), where k = ⌊ρ · KV + 0.5⌋, at most KV − 1, lowered
   * further while {@code headsLeftAllowed} refuses the query heads that would be left. A group is
   * the query heads j·G … j·G + G − 1 of the layer, G = H / KV. Returns the query heads removed.
   */
  public static List<HeadRef> uniformGroups(
      List<HeadRef> heads,
      double[] scores,
      double sparsity,
      int keyValueHeads,
      IntPredicate headsLeftAllowed) {
    Map<Integer, List<Integer>> byLayer = new TreeMap<>();
    for (int i = 0; i < heads.size(); i++) {
      byLayer.computeIfAbsent(heads.get(i).layer(), l -> new ArrayList<>()).add(i);
    }
    int k = Math.min(count(sparsity, keyValueHeads), keyValueHeads - 1);
    List<HeadRef> pruned = new ArrayList<>();
    for (List<Integer> layer : byLayer.values()) {
      int queries = layer.size();
      if (queries % keyValueHeads != 0) {
        throw new InvalidInputException(
            "layer "
                + heads.get(layer.get(0)).layer()
                + " has "
                + queries
                + " query heads, not a multiple of "
                + keyValueHeads
                + " key/value heads");
      }
      int size = queries / keyValueHeads;
      while (k > 0 && !headsLeftAllowed.test(queries - k * size)) {
        k--;
      }
    }
    for (List<Integer> layer : byLayer.values()) {
      List<Integer> sorted = layer.stream().sorted(Comparator.comparing(heads::get)).toList();
      int size = sorted.size() / keyValueHeads;
      double[] means = new double[keyValueHeads];
      for (int g = 0; g < keyValueHeads; g++) {
        for (int j = 0; j < size; j++) {
          means[g] += scores[sorted.get(g * size + j)] / size;
        }
      }
      IntStream.range(0, keyValueHeads)
          .boxed()
          .sorted(Comparator.<Integer>comparingDouble(g -> means[g]).thenComparing(g -> g))
          .limit(k)
          .forEach(
              g -> {
                for (int j = 0; j < size; j++) {
                  pruned.add(heads.get(sorted.get(g * size + j)));
                }
              });
    }
    pruned.sort(Comparator.naturalOrder());
    return pruned;
  }
}
