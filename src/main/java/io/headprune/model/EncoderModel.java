package io.headprune.model;

import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;

/**
 * A model whose layers each have one {@link Attention} block (BERT, RoBERTa, DistilBERT, ViT): its
 * heads and their l2 norms come from those blocks.
 */
abstract class EncoderModel extends LoadedModel {

  private final List<Attention> attentions;

  EncoderModel(ModelConfig config, NDManager manager, List<Attention> attentions, long parameters) {
    super(config, manager, attentions.stream().map(Attention::heads).toList(), parameters);
    this.attentions = List.copyOf(attentions);
  }

  @Override
  public double[][] headWeightNorms() {
    return attentions.stream().map(Attention::headWeightNorms).toArray(double[][]::new);
  }
}
