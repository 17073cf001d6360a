package io.headprune.model;

import ai.djl.ndarray.NDArray;
import io.headprune.checkpoint.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The post-LayerNorm encoder layer BERT, RoBERTa and DistilBERT share (transformers' RobertaLayer
 * is a copy of BertLayer; DistilBERT's TransformerBlock computes the same under other names), in
 * forward order: self-attention with head gates, attention output, feed-forward. Each family passes
 * its own {@link Names}.
 *
 * <p>Shapes: B batch, T tokens, E hidden, N heads of the layer, D head size, F feed-forward.
 */
record EncoderLayer(
    Attention attention, Norm attentionNorm, Dense intermediate, Dense output, Norm outputNorm) {

  /** The checkpoint names of a layer's weights, after {@code <layers>.<l>.}. */
  record Names(
      String layers,
      String query,
      String key,
      String value,
      String attentionOutput,
      String attentionNorm,
      String intermediate,
      String output,
      String outputNorm) {

    String prefix(String base, int layer) {
      return base + layers + "." + layer + ".";
    }

    /** Where layer {@code l}'s heads are in the checkpoint (names under {@code base}). */
    HeadLayout.LayerHeads layout(String base, ModelConfig config, int l) {
      String p = prefix(base, l);
      return HeadLayout.separateProjections(
          l,
          config.remainingHeads(l),
          config.headSize(),
          p + query,
          p + key,
          p + value,
          p + attentionOutput,
          true);
    }
  }

  /** Loads layer {@code l}, its weights named as {@code names} says. */
  static EncoderLayer load(
      Weights weights, ModelConfig config, int l, Names names, int intermediateSize, float eps) {
    String p = names.prefix("", l);
    long e = config.hiddenSize();
    return new EncoderLayer(
        Attention.load(
            weights,
            p + names.query(),
            p + names.key(),
            p + names.value(),
            p + names.attentionOutput(),
            config.remainingHeads(l),
            config.headSize(),
            e,
            true),
        Norm.load(weights, p + names.attentionNorm(), e, eps),
        Dense.load(weights, p + names.intermediate(), intermediateSize, e),
        Dense.load(weights, p + names.output(), e, intermediateSize),
        Norm.load(weights, p + names.outputNorm(), e, eps));
  }

  /** Every layer's head layout of an encoder whose weights sit under {@code base}. */
  static HeadLayout layout(String base, ModelConfig config, Names names) {
    List<HeadLayout.LayerHeads> layers = new ArrayList<>();
    for (int l = 0; l < config.layers(); l++) {
      layers.add(names.layout(base, config, l));
    }
    return new HeadLayout(layers);
  }

  /**
   * Runs the layer. {@code gate} is (B, N) or (1, N), or null. Returns the layer's output (B, R, E)
   * (R: T, or 1 when {@code need.firstRowOnly()}) and its attention probabilities before gating (B,
   * N, T, T), or null when {@code need} does not ask for them.
   */
  NDArray[] forward(
      NDArray hidden,
      NDArray keyMask,
      NDArray gate,
      Attention.Constants constants,
      Attention.Need need) {
    // self-attention; attention output: dense, residual, LayerNorm
    NDArray[] attended =
        attention.forward(hidden, keyMask, gate, constants, need); // (B, R, E), (B, N, T, T)
    NDArray residual = need.firstRowOnly() ? hidden.get(":, :1, :") : hidden; // (B, R, E)
    NDArray normed = attentionNorm.apply(attended[0].add(residual)); // (B, R, E)

    // feed-forward: dense, erf GELU, dense, residual, LayerNorm
    NDArray inner = Attention.gelu(intermediate.apply(normed)); // (B, R, F)
    NDArray out = outputNorm.apply(output.apply(inner).add(normed)); // (B, R, E)
    return new NDArray[] {out, attended[1]};
  }

  /** The additive mask of padding keys (B, 1, 1, T): float32 min where the key is padding. */
  static NDArray keyMask(NDArray attentionMask) {
    return attentionMask
        .neg()
        .add(1f)
        .mul(-Float.MAX_VALUE)
        .expandDims(1)
        .expandDims(1); // (B, 1, 1, T)
  }
}
