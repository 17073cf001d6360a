package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;

/**
 * What every family's model has besides its forward pass: config, the manager that owns the
 * weights, each layer's (query) heads and the parameter count; and the arithmetic of the {@code l2}
 * criterion over 2-D weights.
 */
abstract class LoadedModel implements HeadModel {

  final ModelConfig config;
  private final NDManager manager;
  private final List<int[]> heads;
  private final long parameters;

  LoadedModel(ModelConfig config, NDManager manager, List<int[]> heads, long parameters) {
    this.config = config;
    this.manager = manager;
    this.heads = heads.stream().map(int[]::clone).toList();
    this.parameters = parameters;
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public int[][] heads() {
    return heads.stream().map(int[]::clone).toArray(int[][]::new);
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public long parameters() {
    return parameters;
  }

  @Override
  public void close() {
    manager.close();
  }

  /** A 2-D weight copied to the JVM once, for the l2 criterion. */
  record Matrix(float[] data, long rows, long columns) {

    static Matrix of(NDArray weight) {
      return new Matrix(weight.toFloatArray(), weight.getShape().get(0), weight.getShape().get(1));
    }
  }

  /** Σ w² over rows {@code [from, from + count)} (axis 0) or columns (axis 1) of a 2-D weight. */
  static double squares(Matrix weight, int axis, long from, long count) {
    float[] data = weight.data();
    long rows = weight.rows();
    long columns = weight.columns();
    double sum = 0;
    for (long r = axis == 0 ? from : 0; r < (axis == 0 ? from + count : rows); r++) {
      for (long c = axis == 1 ? from : 0; c < (axis == 1 ? from + count : columns); c++) {
        double w = data[(int) (r * columns + c)];
        sum += w * w;
      }
    }
    return sum;
  }
}
