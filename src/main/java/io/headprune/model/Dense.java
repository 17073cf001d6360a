package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/** A linear layer's weights: {@code x · Wᵀ + b} ({@code b} may be null). */
record Dense(NDArray weight, NDArray bias) {

  NDArray apply(NDArray input) {
    return Linear.linear(input, weight, bias).singletonOrThrow();
  }

  /** Loads {@code name.weight} (out, in) and {@code name.bias} (out). */
  static Dense load(Weights weights, String name, long out, long in) {
    return new Dense(weights.load(name + ".weight", out, in), weights.load(name + ".bias", out));
  }

  /** Loads {@code name.weight} (out, in) of a layer without bias. */
  static Dense loadWithoutBias(Weights weights, String name, long out, long in) {
    return new Dense(weights.load(name + ".weight", out, in), null);
  }
}
