package io.headprune.model;

import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;

/**
 * What every encoder architecture here has besides its forward pass: config, the manager that
 * owns its weights, its layers and its parameter count.
 */
abstract class EncoderModel implements HeadModel {

  final ModelConfig config;
  private final NDManager manager;
  final List<EncoderLayer> layers;
  private final long parameters;

  EncoderModel(ModelConfig config, NDManager manager, List<EncoderLayer> layers, long parameters) {
    this.config = config;
    this.manager = manager;
    this.layers = List.copyOf(layers);
    this.parameters = parameters;
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public int[][] heads() {
    return layers.stream().map(layer -> layer.heads().clone()).toArray(int[][]::new);
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public double[][] headWeightNorms() {
    return layers.stream().map(EncoderLayer::headWeightNorms).toArray(double[][]::new);
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
