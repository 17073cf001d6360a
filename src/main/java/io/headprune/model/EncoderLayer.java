package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.headprune.checkpoint.ModelConfig;

/**
 * The post-LayerNorm encoder layer BERT and RoBERTa share (transformers' RobertaLayer is a copy
 * of BertLayer), in forward order: self-attention with head gates, attention output, feed-forward.
 *
 * <p>Shapes: B batch, T tokens, E hidden, N heads of the layer, D head size, F feed-forward.
 */
record EncoderLayer(
    int[] heads,
    int headSize,
    Dense query,
    Dense key,
    Dense value,
    Dense attentionOutput,
    Norm attentionNorm,
    Dense intermediate,
    Dense output,
    Norm outputNorm) {

  /**
   * Scalar operands of the forward pass. They must live on the batch's manager: DJL's
   * mul(Number) frees its scalar at once, and autograd would read freed memory in the backward.
   */
  record Constants(NDArray sqrtHeadSize, NDArray half, NDArray sqrtTwo, NDArray one) {

    static Constants on(NDManager scope, int headSize) {
      return new Constants(scope.create((float) Math.sqrt(headSize)), scope.create(0.5f),
          scope.create((float) Math.sqrt(2.0)), scope.create(1f));
    }
  }

  /** The checkpoint names of a layer's weights, after {@code <layers>.<l>.}. */
  record Names(String layers, String query, String key, String value, String attentionOutput, String attentionNorm,
      String intermediate, String output, String outputNorm) {

    /** BERT and RoBERTa. */
    static final Names BERT = new Names("encoder.layer", "attention.self.query", "attention.self.key",
        "attention.self.value", "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
        "output.dense", "output.LayerNorm");

    /** DistilBERT. */
    static final Names DISTILBERT = new Names("transformer.layer", "attention.q_lin", "attention.k_lin",
        "attention.v_lin", "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm");
  }

  /** Loads layer {@code l} of a BERT or RoBERTa checkpoint. */
  static EncoderLayer load(Weights weights, ModelConfig config, int l) {
    return load(weights, config, l, Names.BERT);
  }

  /** Loads layer {@code l}, its weights named as {@code names} says. */
  static EncoderLayer load(Weights weights, ModelConfig config, int l, Names names) {
    String p = names.layers() + "." + l + ".";
    int[] heads = config.remainingHeads(l);
    long e = config.hiddenSize();
    long inner = (long) heads.length * config.headSize();
    float eps = (float) config.layerNormEps();
    return new EncoderLayer(
        heads,
        config.headSize(),
        Dense.load(weights, p + names.query(), inner, e),
        Dense.load(weights, p + names.key(), inner, e),
        Dense.load(weights, p + names.value(), inner, e),
        Dense.load(weights, p + names.attentionOutput(), e, inner),
        Norm.load(weights, p + names.attentionNorm(), e, eps),
        Dense.load(weights, p + names.intermediate(), config.intermediateSize(), e),
        Dense.load(weights, p + names.output(), e, config.intermediateSize()),
        Norm.load(weights, p + names.outputNorm(), e, eps));
  }

  /**
   * Runs the layer. {@code gate} is (B, N) or (1, N), or null. Returns the layer's output
   * (B, T, E) and its attention probabilities before gating (B, N, T, T).
   */
  NDArray[] forward(NDArray hidden, NDArray keyMask, NDArray gate, Constants constants) {
    long batch = hidden.getShape().get(0);
    long tokens = hidden.getShape().get(1);
    int count = heads.length;

    // self-attention
    NDArray q = split(query.apply(hidden)); // (B, N, T, D)
    NDArray k = split(key.apply(hidden)); // (B, N, T, D)
    NDArray v = split(value.apply(hidden)); // (B, N, T, D)
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(constants.sqrtHeadSize()); // (B, N, T, T)
    NDArray probabilities = scores.add(keyMask).softmax(-1); // (B, N, T, T)
    NDArray gated = gate == null ? probabilities : probabilities.mul(gate.reshape(-1, count, 1, 1));
    NDArray context =
        gated.matMul(v) // (B, N, T, D)
            .transpose(0, 2, 1, 3)
            .reshape(batch, tokens, (long) count * headSize); // (B, T, N*D)

    // attention output: dense, residual, LayerNorm
    NDArray attended = attentionNorm.apply(attentionOutput.apply(context).add(hidden)); // (B, T, E)

    // feed-forward: dense, erf GELU, dense, residual, LayerNorm
    NDArray inner = gelu(intermediate.apply(attended), constants); // (B, T, F)
    NDArray out = outputNorm.apply(output.apply(inner).add(attended)); // (B, T, E)
    return new NDArray[] {out, probabilities};
  }

  /** The encoder's output (B, T, E) and every layer's attention probabilities (B, N, T, T). */
  record Encoded(NDArray hidden, java.util.List<NDArray> attentions) {}

  /** Runs {@code layers} in order; padding keys get float32 min added to their scores, as in HF. */
  static Encoded encode(java.util.List<EncoderLayer> layers, NDArray hidden, NDArray attentionMask,
      java.util.List<NDArray> gates, int headSize) {
    NDManager scope = hidden.getManager();
    NDArray keyMask = attentionMask.neg().add(1f).mul(-Float.MAX_VALUE).expandDims(1).expandDims(1); // (B, 1, 1, T)
    Constants constants = Constants.on(scope, headSize);
    java.util.List<NDArray> attentions = new java.util.ArrayList<>();
    for (int l = 0; l < layers.size(); l++) {
      NDArray[] result = layers.get(l).forward(hidden, keyMask, gates == null ? null : gates.get(l), constants);
      hidden = result[0];
      attentions.add(result[1]);
    }
    return new Encoded(hidden, attentions);
  }

  /** (B, T, N*D) to (B, N, T, D). */
  private NDArray split(NDArray projected) {
    Shape shape = projected.getShape();
    return projected.reshape(shape.get(0), shape.get(1), heads.length, headSize).transpose(0, 2, 1, 3);
  }

  /** GELU with the exact erf, as transformers' "gelu": 0.5 · x · (1 + erf(x / √2)). */
  private static NDArray gelu(NDArray x, Constants constants) {
    return x.mul(constants.half()).mul(x.div(constants.sqrtTwo()).erf().add(constants.one()));
  }

  /** Per head, the L2 norm of its query/key/value rows and attention-output columns. */
  double[] headWeightNorms() {
    int count = heads.length;
    double[] norms = new double[count];
    float[][] rowsOf = {query.weight().toFloatArray(), key.weight().toFloatArray(), value.weight().toFloatArray()};
    int hidden = (int) query.weight().getShape().get(1);
    float[] out = attentionOutput.weight().toFloatArray(); // (E, N*D)
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
