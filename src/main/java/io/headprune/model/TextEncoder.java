package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;

/**
 * A text classifier built of post-LayerNorm {@link EncoderLayer}s that reads its first token (BERT,
 * RoBERTa, DistilBERT): each family gives its embeddings and its head on the first token; the
 * layers, their padding mask and the first-token row are shared here, the loop over them in {@link
 * EncoderModel}.
 *
 * <p>Shapes: B batch, T tokens, E hidden, C classes.
 */
abstract class TextEncoder extends EncoderModel {

  private final List<EncoderLayer> layers;

  TextEncoder(ModelConfig config, NDManager manager, List<EncoderLayer> layers, long parameters) {
    super(config, manager, layers.stream().map(EncoderLayer::attention).toList(), parameters);
    this.layers = List.copyOf(layers);
  }

  /** The logits (B, C) of the last layer's first-token states (B, E). */
  abstract NDArray classify(NDArray first);

  @Override
  NDArray keyMask(Batch batch) {
    return EncoderLayer.keyMask(batch.attentionMask()); // (B, 1, 1, T)
  }

  @Override
  NDArray[] layer(
      int l,
      NDArray hidden,
      NDArray keyMask,
      NDArray gate,
      Attention.Constants constants,
      Attention.Need need) {
    return layers.get(l).forward(hidden, keyMask, gate, constants, need);
  }

  @Override
  NDArray head(NDArray last) {
    return classify(last.get(":, 0, :")); // (B, C)
  }
}
