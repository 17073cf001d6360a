package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

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
   * What a pass needs of a layer. Scoring reads every row's attention probabilities (entropies) and
   * gates them per example (gradients); inference reads only the logits, so a layer may run without
   * the heads its gate turns off for the whole batch, and the last layer of a model that pools its
   * first token only needs that row's output.
   *
   * @param probabilities the attention probabilities of every head and row are returned
   * @param firstRowOnly only the first token's output is read downstream
   */
  record Need(boolean probabilities, boolean firstRowOnly) {

    static final Need SCORING = new Need(true, false);
    static final Need INFERENCE = new Need(false, false);

    /** The need of a model's last layer when it pools its first token. */
    Need lastLayer() {
      return new Need(probabilities, true);
    }
  }

  /**
   * Runs attention on {@code hidden} (B, T, E). {@code keyMask} (B, 1, 1, T) is added to the scores
   * (null: no padding); {@code gate} is (B, N) or (1, N), or null. Returns the output projection
   * (B, R, E), before any residual, where R is T or 1 ({@code need.firstRowOnly()}), and the
   * probabilities before gating (B, N, T, T), or null when {@code need} does not ask for them.
   *
   * <p>Without probabilities, a (1, N) gate of zeros and ones runs only the heads at one: their
   * rows of the query/key/value weights and columns of the output weight, sliced for the batch —
   * the arithmetic of the pruned model (a gated-off head adds zero to the output either way).
   */
  NDArray[] forward(NDArray hidden, NDArray keyMask, NDArray gate, Constants constants, Need need) {
    if (!need.probabilities()) {
      int[] kept = keptHeads(gate);
      if (kept != null) {
        Attention live = kept.length == heads.length ? this : slice(kept, hidden.getManager());
        return live.run(hidden, keyMask, null, constants, need);
      }
    }
    return run(hidden, keyMask, gate, constants, need);
  }

  private NDArray[] run(
      NDArray hidden, NDArray keyMask, NDArray gate, Constants constants, Need need) {
    long batch = hidden.getShape().get(0);
    int count = heads.length;
    // only the first query row when nothing reads the other rows or their probabilities
    boolean firstQueryOnly = need.firstRowOnly() && !need.probabilities();
    NDArray queries = firstQueryOnly ? hidden.get(":, :1, :") : hidden; // (B, Tq, E)
    NDArray[] attended =
        attend(
            split(query.apply(queries)), // (B, N, Tq, D)
            split(key.apply(hidden)), // (B, N, T, D)
            split(value.apply(hidden)), // (B, N, T, D)
            scores -> scores.divi(constants.sqrtHeadSize()),
            keyMask,
            gate,
            need.firstRowOnly()); // (B, N, R, D), (B, N, Tq, T)
    long width = attended[0].getShape().get(2);
    NDArray context =
        attended[0]
            .transpose(0, 2, 1, 3)
            .reshape(batch, width, (long) count * headSize); // (B, R, N*D)
    return new NDArray[] {
      output.apply(context), need.probabilities() ? attended[1] : null
    }; // (B, R, E), (B, N, T, T)
  }

  /**
   * The positions of the heads a (1, N) gate of zeros and ones keeps; null when the gate is absent,
   * per example, any other value, or zero everywhere (then the gate itself runs).
   */
  static int[] keptHeads(NDArray gate) {
    if (gate == null || gate.getShape().get(0) != 1) {
      return null;
    }
    float[] values = gate.toFloatArray();
    int[] kept = new int[values.length];
    int count = 0;
    for (int h = 0; h < values.length; h++) {
      if (values[h] == 1f) {
        kept[count++] = h;
      } else if (values[h] != 0f) {
        return null;
      }
    }
    return count == 0 ? null : Arrays.copyOf(kept, count);
  }

  /**
   * This block with only the heads at {@code positions}: their query/key/value rows and biases and
   * output columns, on the batch's manager {@code scope} (freed with it).
   */
  private Attention slice(int[] positions, NDManager scope) {
    int[] kept = new int[positions.length];
    for (int i = 0; i < positions.length; i++) {
      kept[i] = heads[positions[i]];
    }
    return new Attention(
        kept,
        headSize,
        rows(query, positions, scope),
        rows(key, positions, scope),
        rows(value, positions, scope),
        new Dense(pick(output.weight(), positions, 1, scope), output.bias()));
  }

  private Dense rows(Dense dense, int[] positions, NDManager scope) {
    return new Dense(
        pick(dense.weight(), positions, 0, scope),
        dense.bias() == null ? null : pick(dense.bias(), positions, 0, scope));
  }

  /** The head blocks at {@code positions} along {@code axis}, runs of neighbours as one slice. */
  private NDArray pick(NDArray array, int[] positions, int axis, NDManager scope) {
    return blocks(array, positions, headSize, axis, scope);
  }

  /**
   * The blocks of {@code size} at {@code positions} along {@code axis} (0 or 1) of {@code array},
   * runs of neighbours as one slice, on {@code scope}.
   */
  static NDArray blocks(NDArray array, int[] positions, int size, int axis, NDManager scope) {
    List<NDArray> parts = new ArrayList<>();
    String prefix = axis == 0 ? "" : ":, ";
    for (int i = 0; i < positions.length; ) {
      int j = i;
      while (j + 1 < positions.length && positions[j + 1] == positions[j] + 1) {
        j++;
      }
      NDArray part =
          array.get(prefix + (long) positions[i] * size + ":" + (long) (positions[j] + 1) * size);
      part.attach(scope); // a slice belongs to the weight's manager until moved
      parts.add(part);
      i = j + 1;
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    NDArray joined = NDArrays.concat(new NDList(parts), axis);
    joined.attach(scope);
    return joined;
  }

  /**
   * Where {@link HeadModel#forward(Batch, List, java.util.function.Consumer)} collects contexts.
   */
  static final ThreadLocal<Consumer<NDArray>> CONTEXTS = new ThreadLocal<>();

  /**
   * The attention every family shares: {@code softmax(scale(q kᵀ) + mask)} (mask (B, 1, 1 or T, T)
   * additive, or null), gated per example and head, times v. Returns the context (B, N, T, D) and
   * the probabilities before gating (B, N, T, T). {@code scale} and the mask work in place on the
   * fresh product q kᵀ (no copy of a (B, N, T, T) tensor; autograd needs only q and k from it).
   */
  static NDArray[] attend(
      NDArray query,
      NDArray key,
      NDArray value,
      UnaryOperator<NDArray> scale,
      NDArray mask,
      NDArray gate) {
    return attend(query, key, value, scale, mask, gate, false);
  }

  /**
   * {@link #attend}, with the context of the first query row only (B, N, 1, D) when {@code
   * firstRowOnly}; the probabilities are every query row's (B, N, Tq, T) either way.
   */
  static NDArray[] attend(
      NDArray query,
      NDArray key,
      NDArray value,
      UnaryOperator<NDArray> scale,
      NDArray mask,
      NDArray gate,
      boolean firstRowOnly) {
    long count = query.getShape().get(1);
    NDArray scores = scale.apply(query.matMul(key.transpose(0, 1, 3, 2))); // (B, N, Tq, T)
    NDArray probabilities = (mask == null ? scores : scores.add(mask)).softmax(-1); // (B, N, Tq, T)
    NDArray rows = firstRowOnly ? probabilities.get(":, :, :1, :") : probabilities; // (B, N, R, T)
    NDArray gated = gate == null ? rows : rows.mul(gate.reshape(-1, count, 1, 1));
    NDArray context = gated.matMul(value); // (B, N, R, D)
    Consumer<NDArray> contexts = CONTEXTS.get();
    if (contexts != null) {
      contexts.accept(context);
    }
    return new NDArray[] {context, probabilities}; // (B, N, R, D), (B, N, Tq, T)
  }

  /**
   * The additive mask of causal attention over right-padded rows: float32 min where key j comes
   * after query t or is padding, 0 elsewhere (B, 1, T, T).
   */
  static NDArray causalMask(NDManager scope, int[] lengths, int tokens) {
    return causalMask(scope, lengths, tokens, 0);
  }

  /**
   * {@link #causalMask}, within a sliding window of {@code window} keys when it is positive: query
   * t sees key j iff t − window &lt; j ≤ t (transformers' {@code sliding_window_overlay}).
   */
  static NDArray causalMask(NDManager scope, int[] lengths, int tokens, int window) {
    float[] mask = new float[lengths.length * tokens * tokens];
    for (int b = 0; b < lengths.length; b++) {
      for (int t = 0; t < tokens; t++) {
        for (int j = 0; j < tokens; j++) {
          if (j > t || j >= lengths[b] || window > 0 && j <= t - window) {
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
    return Activation.gelu(x);
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
