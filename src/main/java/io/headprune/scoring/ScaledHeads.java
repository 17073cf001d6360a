package io.headprune.scoring;

import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A head set gated off, with every kept head's attention scaled: the gates of a model recovered by
 * rescaling (see {@link Rescaling}). As a set it holds the heads gated off, so every path that
 * takes a head set runs it; {@link ModelRunner#gates} gives the kept heads their scales. Equality
 * is a set's (the heads off, as {@link java.util.Set} requires); compare {@link #scales()} too
 * where scales matter.
 */
public final class ScaledHeads extends AbstractSet<HeadRef> {

  private final Set<HeadRef> off;
  private final double[][] scales;
  private final Map<HeadRef, Double> byHead = new HashMap<>();

  /**
   * @param heads per layer, the original indices of the model's heads ({@code model.heads()})
   * @param off the heads gated off
   * @param scales per layer and head slot ({@code heads} order), the gate of each head; 0 for the
   *     heads in {@code off}
   */
  public ScaledHeads(int[][] heads, Set<HeadRef> off, double[][] scales) {
    this.off = Set.copyOf(off);
    this.scales = new double[scales.length][];
    for (int l = 0; l < scales.length; l++) {
      if (scales[l].length != heads[l].length) {
        throw new IllegalArgumentException(
            "layer " + l + ": " + scales[l].length + " scales for " + heads[l].length + " heads");
      }
      this.scales[l] = scales[l].clone();
      for (int h = 0; h < heads[l].length; h++) {
        byHead.put(new HeadRef(l, heads[l][h]), scales[l][h]);
      }
    }
  }

  /** The gate of {@code head} (by its original index), or 1 for a head the model lacks. */
  public double scale(HeadRef head) {
    return byHead.getOrDefault(head, 1.0);
  }

  /** The gate of layer {@code layer}'s head slot {@code slot}. */
  public double scale(int layer, int slot) {
    return scales[layer][slot];
  }

  /** Per layer and head slot, the gates (a copy). */
  public double[][] scales() {
    double[][] copy = new double[scales.length][];
    for (int l = 0; l < scales.length; l++) {
      copy[l] = scales[l].clone();
    }
    return copy;
  }

  @Override
  public Iterator<HeadRef> iterator() {
    return off.iterator();
  }

  @Override
  public int size() {
    return off.size();
  }
}
