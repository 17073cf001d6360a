package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;

/**
 * A model whose layers each have one {@link Attention} block (BERT, RoBERTa, DistilBERT, ViT): its
 * heads and their l2 norms come from those blocks, and its scoring forward and its inference logits
 * are one pass that asks different things of each layer.
 */
abstract class EncoderModel extends LoadedModel {

  private final List<Attention> attentions;

  EncoderModel(ModelConfig config, NDManager manager, List<Attention> attentions, long parameters) {
    super(config, manager, attentions.stream().map(Attention::heads).toList(), parameters);
    this.attentions = List.copyOf(attentions);
  }

  /**
   * The forward pass, doing what {@code need} asks of every layer: scoring's probabilities, or
   * inference's shortcuts.
   */
  abstract Output run(Batch batch, List<NDArray> gates, Attention.Need need);

  @Override
  public Output forward(Batch batch, List<NDArray> gates) {
    return run(batch, gates, Attention.Need.SCORING);
  }

  @Override
  public NDArray logits(Batch batch, List<NDArray> gates) {
    return run(batch, gates, Attention.Need.INFERENCE).logits();
  }

  /** Refuses logits of a stage that has not run every layer. */
  void requireAllLayersRun(Stage stage) {
    if (stage.layer != attentions.size()) {
      throw new IllegalStateException(
          "logits after layer " + stage.layer + " of " + attentions.size());
    }
  }

  @Override
  public double[][] headWeightNorms() {
    return attentions.stream().map(Attention::headWeightNorms).toArray(double[][]::new);
  }
}
