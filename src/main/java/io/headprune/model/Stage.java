package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A batch part-way through a model run layer by layer ({@link HeadModel.Stages}): the hidden states
 * entering layer {@link #layer()}, with what every layer of the batch shares (an encoder's padding
 * mask and scalar constants; a decoder's masks, rotary tables and constants per device).
 */
public final class Stage {

  final int layer;
  final NDArray hidden;
  final NDArray keyMask;
  final Attention.Constants constants;

  /** What a decoder's layers share for the batch (its masks, rotary tables), or null. */
  final Object shared;

  Stage(int layer, NDArray hidden, NDArray keyMask, Attention.Constants constants) {
    this(layer, hidden, keyMask, constants, null);
  }

  private Stage(
      int layer, NDArray hidden, NDArray keyMask, Attention.Constants constants, Object shared) {
    this.layer = layer;
    this.hidden = hidden;
    this.keyMask = keyMask;
    this.constants = constants;
    this.shared = shared;
  }

  /** A decoder's batch entering layer 0, with what its layers share. */
  static Stage shared(NDArray hidden, Object shared) {
    return new Stage(0, hidden, null, null, shared);
  }

  /** The index of the next layer to run; the model's layer count once all have run. */
  public int layer() {
    return layer;
  }

  /**
   * This stage seen from {@code scope}: a view of its hidden states owned by {@code scope}, so that
   * what the next layers compute from it lands there and is freed when {@code scope} closes, while
   * this stage stays usable for the next branch.
   */
  public Stage on(NDManager scope) {
    return new Stage(layer, view(hidden, scope), keyMask, constants, shared);
  }

  /**
   * A new handle on {@code array}'s storage owned by {@code scope}: what is computed from it lands
   * there and is freed when {@code scope} closes, while {@code array} stays usable.
   */
  public static NDArray view(NDArray array, NDManager scope) {
    NDArray view = array.expandDims(0).squeeze(0); // a new handle on the same storage
    view.attach(scope);
    return view;
  }

  Stage next(NDArray output) {
    return new Stage(layer + 1, output, keyMask, constants, shared);
  }
}
