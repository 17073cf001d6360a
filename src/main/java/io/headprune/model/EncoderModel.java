package io.headprune.model;

import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;

/**
 * What every model here has besides its forward pass: config, the manager that owns its
 * weights, each layer's attention (its heads and their weights) and its parameter count.
 */
abstract class EncoderModel implements HeadModel {

  final ModelConfig config;
  private final NDManager manager;
  private final List<Attention> attentions;
  private final long parameters;

  EncoderModel(ModelConfig config, NDManager manager, List<Attention> attentions, long parameters) {
    this.config = config;
    this.manager = manager;
    this.attentions = List.copyOf(attentions);
    this.parameters = parameters;
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public int[][] heads() {
    return attentions.stream().map(attention -> attention.heads().clone()).toArray(int[][]::new);
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public double[][] headWeightNorms() {
    return attentions.stream().map(Attention::headWeightNorms).toArray(double[][]::new);
  }

  @Override
  public long parameters() {
    return parameters;
  }

  @Override
  public void close() {
    manager.close();
  }
}
