package io.headprune.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where every layer's attention heads sit in a checkpoint's tensors, so that generic code can slice
 * or zero a head without knowing the family: for each attention tensor, the axis that carries heads
 * and the blocks along it (a fused tensor such as GPT-2's {@code c_attn} holds [q | k | v] blocks
 * on one axis), each block a run of heads of one role. With grouped-query attention the key/value
 * blocks hold fewer heads than the query block, and query head slot {@code s} reads key/value head
 * {@code s / (queries / keyValues)}.
 *
 * @param layers per layer, in order
 */
public record HeadLayout(List<LayerHeads> layers) {

  public HeadLayout {
    layers = List.copyOf(layers);
  }

  /** The role of a block of heads. */
  public enum Role {
    QUERY,
    KEY,
    VALUE,
    /** The attention output projection: heads are its input features. */
    OUTPUT
  }

  /**
   * A run of {@code heads} consecutive heads of one role along a tensor's head axis.
   *
   * @param role what the heads compute
   * @param heads how many heads the block holds
   */
  public record Block(Role role, int heads) {}

  /**
   * One checkpoint tensor that carries heads.
   *
   * @param name the checkpoint key
   * @param axis the axis along which the blocks lie (0 for (out, in) rows and biases, 1 for
   *     columns)
   * @param blocks the blocks in order along that axis
   */
  public record Tensor(String name, int axis, List<Block> blocks) {

    public Tensor {
      blocks = List.copyOf(blocks);
    }
  }

  /**
   * One layer's heads.
   *
   * @param layer the layer index
   * @param queryHeads original indices of the query heads the checkpoint holds, in slot order
   * @param keyValueHeads key/value heads the checkpoint holds
   * @param headSize size of one head along the head axis
   * @param tensors every tensor of the layer that carries heads
   */
  public record LayerHeads(
      int layer, int[] queryHeads, int keyValueHeads, int headSize, List<Tensor> tensors) {

    public LayerHeads {
      queryHeads = queryHeads.clone();
      tensors = List.copyOf(tensors);
      if (keyValueHeads < 1 || queryHeads.length % keyValueHeads != 0) {
        throw new IllegalArgumentException(
            "layer "
                + layer
                + ": "
                + queryHeads.length
                + " query heads cannot share "
                + keyValueHeads
                + " key/value heads");
      }
    }

    @Override
    public int[] queryHeads() {
      return queryHeads.clone();
    }

    /** The key/value head slot that query slot {@code slot} reads. */
    public int keyValueHeadOf(int slot) {
      return slot / (queryHeads.length / keyValueHeads);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof LayerHeads that
          && layer == that.layer
          && Arrays.equals(queryHeads, that.queryHeads)
          && keyValueHeads == that.keyValueHeads
          && headSize == that.headSize
          && tensors.equals(that.tensors);
    }

    @Override
    public int hashCode() {
      return 31 * layer + Arrays.hashCode(queryHeads) + tensors.hashCode();
    }

    @Override
    public String toString() {
      return "LayerHeads[layer="
          + layer
          + ", queryHeads="
          + Arrays.toString(queryHeads)
          + ", keyValueHeads="
          + keyValueHeads
          + ", headSize="
          + headSize
          + ", tensors="
          + tensors
          + "]";
    }
  }

  /**
   * The usual layout of separate query, key, value and output projections stored (out, in) as
   * {@code nn.Linear} does: q/k/v rows (and biases) per head, output columns per head.
   */
  static LayerHeads separateProjections(
      int layer,
      int[] heads,
      int headSize,
      String query,
      String key,
      String value,
      String output,
      boolean qkvBias) {
    int n = heads.length;
    List<Tensor> tensors = new ArrayList<>();
    for (String[] named : new String[][] {{query, "QUERY"}, {key, "KEY"}, {value, "VALUE"}}) {
      List<Block> blocks = List.of(new Block(Role.valueOf(named[1]), n));
      tensors.add(new Tensor(named[0] + ".weight", 0, blocks));
      if (qkvBias) {
        tensors.add(new Tensor(named[0] + ".bias", 0, blocks));
      }
    }
    tensors.add(new Tensor(output + ".weight", 1, List.of(new Block(Role.OUTPUT, n))));
    return new LayerHeads(layer, heads, n, headSize, tensors);
  }
}
