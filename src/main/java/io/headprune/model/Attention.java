package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Multi-head self-attention with separate query, key, value and output projections and a gate per
 * example and head on the attention probabilities (Hugging Face's {@code head_mask}): the small
 * block BERT, RoBERTa, DistilBERT and ViT share.
 *
 * <p>Shapes: B batch, T tokens, E hidden, N heads of the layer, D head size.
 *
 * @param heads original indices of the heads this layer has
 * @param headSize D
 */
record Attention(int[] heads, int headSize, Dense query, Dense key, Dense value, Dense output) {

  /**
   * Scalar operands of the forward pass. They must live on the batch's manager: DJL's mul(Number)
   * frees its scalar at once, and autograd would read freed memory in the backward.
   */
  record Constants(NDArray sqrtHeadSize) {

    static Constants on(NDManager scope, int headSize) {
      return new Constants(scope.create((float) Math.sqrt(headSize)));
    }
  }

  /** Loads the four projections; q/k/v biases only when {@code qkvBias}, the output's always. */
  static Attention load(
      Weights weights,
      String query,
      String key,
      String value,
      String output,
      int[] heads,
      int headSize,
      long hidden,
      boolean qkvBias) {
    long inner = (long) heads.length * headSize;
    return new Attention(
        heads.clone(),
        headSize,
        qkvBias
            ? Dense.load(weights, query, inner, hidden)
            : Dense.loadWithoutBias(weights, query, inner, hidden),
        qkvBias
            ? Dense.load(weights, key, inner, hidden)
            : Dense.loadWithoutBias(weights, key, inner, hidden),
        qkvBias
            ? Dense.load(weights, value, inner, hidden)
            : Dense.loadWithoutBias(weights, value, inner, hidden),
        Dense.load(weights, output, hidden, inner));
  }

  /**
   * Runs attention on {@code hidden} (B, T, E). {@code keyMask} (B, 1, 1, T) is added to the scores
   * (null: no padding); {@code gate} is (B, N) or (1, N), or null. Returns the output projection
   * (B, T, E), before any residual, and the probabilities before gating (B, N, T, T).
   */
  NDArray[] forward(NDArray hidden, NDArray keyMask, NDArray gate, Constants constants) {
    long batch = hidden.getShape().get(0);
    long tokens = hidden.getShape().get(1);
    int count = heads.length;
    NDArray q = split(query.apply(hidden)); // (B, N, T, D)
    NDArray k = split(key.apply(hidden)); // (B, N, T, D)
    NDArray v = split(value.apply(hidden)); // (B, N, T, D)
    NDArray[] attended =
        attend(
            q,
            k,
            v,
            scores -> scores.div(constants.sqrtHeadSize()),
            keyMask,
            gate); // (B, N, T, D), (B, N, T, T)
    NDArray context =
        attended[0]
            .transpose(0, 2, 1, 3)
            .reshape(batch, tokens, (long) count * headSize); // (B, T, N*D)
    return new NDArray[] {output.apply(context), attended[1]}; // (B, T, E), (B, N, T, T)
  }

  /**
   * The attention every family shares: {@code softmax(scale(q kᵀ) + mask)} (mask (B, 1, 1 or T, T)
   * additive, or null), gated per example and head, times v. Returns the context (B, N, T, D) and
   * the probabilities before gating (B, N, T, T).
   */
  static NDArray[] attend(
      NDArray query,
      NDArray key,
      NDArray value,
      java.util.function.UnaryOperator<NDArray> scale,
      NDArray mask,
      NDArray gate) {
    long count = query.getShape().get(1);
    NDArray scores = scale.apply(query.matMul(key.transpose(0, 1, 3, 2))); // (B, N, T, T)
    NDArray probabilities = (mask == null ? scores : scores.add(mask)).softmax(-1); // (B, N, T, T)
    NDArray gated = gate == null ? probabilities : probabilities.mul(gate.reshape(-1, count, 1, 1));
    return new NDArray[] {gated.matMul(value), probabilities};
  }

  /**
   * The additive mask of causal attention over right-padded rows: float32 min where key j comes
   * after query t or is padding, 0 elsewhere (B, 1, T, T).
   */
  static NDArray causalMask(NDManager scope, int[] lengths, int tokens) {
    float[] mask = new float[lengths.length * tokens * tokens];
    for (int b = 0; b < lengths.length; b++) {
      for (int t = 0; t < tokens; t++) {
        for (int j = 0; j < tokens; j++) {
          if (j > t || j >= lengths[b]) {
            mask[(b * tokens + t) * tokens + j] = -Float.MAX_VALUE;
          }
        }
      }
    }
    return scope.create(mask, new Shape(lengths.length, 1, tokens, tokens));
  }

  /** (B, T, N*D) to (B, N, T, D). */
  private NDArray split(NDArray projected) {
    Shape shape = projected.getShape();
    return projected
        .reshape(shape.get(0), shape.get(1), heads.length, headSize)
        .transpose(0, 2, 1, 3);
  }

  /**
   * GELU with the exact erf, as transformers' "gelu": 0.5 · x · (1 + erf(x / √2)), as PyTorch's one
   * fused operator (one tensor kept for the backward, not five).
   */
  static NDArray gelu(NDArray x) {
    return ai.djl.nn.Activation.gelu(x);
  }

  /** Per head, the L2 norm of its query/key/value rows and output columns. */
  double[] headWeightNorms() {
    int count = heads.length;
    double[] norms = new double[count];
    float[][] rowsOf = {
      query.weight().toFloatArray(), key.weight().toFloatArray(), value.weight().toFloatArray()
    };
    int hidden = (int) query.weight().getShape().get(1);
    float[] out = output.weight().toFloatArray(); // (E, N*D)
    int width = count * headSize;
    for (int h = 0; h < count; h++) {
      double sum = 0;
      for (float[] rows : rowsOf) {
        for (int i = h * headSize * hidden; i < (h + 1) * headSize * hidden; i++) {
          sum += (double) rows[i] * rows[i];
        }
      }
      for (int r = 0; r < hidden; r++) {
        for (int c = h * headSize; c < (h + 1) * headSize; c++) {
          double w = out[r * width + c];
          sum += w * w;
        }
      }
      norms[h] = Math.sqrt(sum);
    }
    return norms;
  }
}
