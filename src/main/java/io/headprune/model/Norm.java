package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/** A LayerNorm's weights over the last axis. */
record Norm(NDArray gamma, NDArray beta, float eps) {

  NDArray apply(NDArray input) {
    return LayerNorm.layerNorm(input, new Shape(gamma.getShape().get(0)), gamma, beta, eps)
        .singletonOrThrow();
  }

  /** Loads {@code name.weight} and {@code name.bias} of length {@code size}. */
  static Norm load(Weights weights, String name, long size, float eps) {
    return new Norm(weights.load(name + ".weight", size), weights.load(name + ".bias", size), eps);
  }
}
