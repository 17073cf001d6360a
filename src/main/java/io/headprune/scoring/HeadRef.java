package io.headprune.scoring;

/** One attention head: layer index and original head index within the layer. */
public record HeadRef(int layer, int head) implements Comparable<HeadRef> {

  public HeadRef {
    if (layer < 0 || head < 0) {
      throw new IllegalArgumentException(
          "layer and head must be non-negative, got " + layer + ", " + head);
    }
  }

  @Override
  public int compareTo(HeadRef other) {
    return layer != other.layer
        ? Integer.compare(layer, other.layer)
        : Integer.compare(head, other.head);
  }
}
