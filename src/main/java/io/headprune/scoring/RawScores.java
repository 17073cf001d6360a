package io.headprune.scoring;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Per-head HIS and attention entropy averaged over the calibration examples (§3.3, §3.4).
 *
 * @param heads per layer, the original head indices
 * @param his per layer and head, mean over examples of |∂L(x)/∂g| / n(x)
 * @param entropy per layer and head, mean normalised attention entropy in [0, 1]
 * @param examples number of examples the means are over
 */
public record RawScores(int[][] heads, double[][] his, double[][] entropy, int examples) {

  /** The same scores without the heads in {@code excluded}. */
  public RawScores without(Set<HeadRef> excluded) {
    int[][] keptHeads = new int[heads.length][];
    double[][] keptHis = new double[heads.length][];
    double[][] keptEntropy = new double[heads.length][];
    for (int l = 0; l < heads.length; l++) {
      int layer = l;
      int[] keep =
          IntStream.range(0, heads[l].length)
              .filter(i -> !excluded.contains(new HeadRef(layer, heads[layer][i])))
              .toArray();
      keptHeads[l] = Arrays.stream(keep).map(i -> heads[layer][i]).toArray();
      keptHis[l] = Arrays.stream(keep).mapToDouble(i -> his[layer][i]).toArray();
      keptEntropy[l] = Arrays.stream(keep).mapToDouble(i -> entropy[layer][i]).toArray();
    }
    return new RawScores(keptHeads, keptHis, keptEntropy, examples);
  }
}
