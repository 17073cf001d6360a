package io.headprune.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ConfigValues;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Llama family (Hugging Face {@code LlamaForCausalLM}, {@code MistralForCausalLM}, {@code
 * Qwen2ForCausalLM}, transformers 4.x, default RoPE, eager attention) in forward order: config
 * keys, weight names, head layout, then token embeddings; per layer {@code h += o_proj(attention(
 * rope(q_proj(x)), rope(k_proj(x)), v_proj(x)))} on {@code x = RMSNorm(h)} with grouped-query
 * attention (query head h reads key/value head h / (H/KV)), causal, a gate per example and query
 * head; {@code h += down(silu(gate(x)) · up(x))} on {@code x = RMSNorm(h)}; the final RMSNorm and
 * the LM head (or the tied embeddings). Llama and Mistral have q/k/v/o biases iff {@code
 * attention_bias}; Qwen2 always has q/k/v biases and no o bias.
 *
 * <p>Shapes: B batch, T tokens, E hidden, H query heads of the layer, KV key/value heads, G = H /
 * KV, D head size, F feed-forward, V vocabulary.
 */
public final class Llama extends LoadedModel {

  /** Llama as data. */
  public static final Architecture LLAMA = family("llama", "LlamaForCausalLM");

  /**
   * Mistral as data: Llama without biases, with a sliding window that must cover every sequence.
   */
  public static final Architecture MISTRAL = family("mistral", "MistralForCausalLM");

  /** Qwen2 as data: Llama with q/k/v biases. */
  public static final Architecture QWEN2 = family("qwen2", "Qwen2ForCausalLM");

  private static Architecture family(String modelType, String className) {
    return new Architecture(
        modelType,
        List.of(className),
        Architecture.Modality.TEXT,
        List.of(),
        raw -> config(raw, modelType),
        Llama::layout,
        Architecture.PhysicalPruning.REDUCED_COUNTS,
        Llama::load);
  }

  private static final String BASE = "model.";

  private final NDArray embeddings;
  private final List<Layer> layers;
  private final NDArray finalNorm;
  private final NDArray lmHead;
  private final float eps;
  private final double theta;
  private final int keyValueHeads;
  private final Integer slidingWindow;

  private record Layer(
      int[] heads,
      NDArray inputNorm,
      Dense query,
      Dense key,
      Dense value,
      Dense output,
      NDArray postNorm,
      Dense gate,
      Dense up,
      Dense down) {}

  private Llama(
      ModelConfig config,
      NDManager manager,
      NDArray embeddings,
      List<Layer> layers,
      NDArray finalNorm,
      NDArray lmHead,
      long parameters) {
    super(config, manager, layers.stream().map(Layer::heads).toList(), parameters);
    this.embeddings = embeddings;
    this.layers = List.copyOf(layers);
    this.finalNorm = finalNorm;
    this.lmHead = lmHead;
    this.eps = (float) config.raw().path("rms_norm_eps").asDouble(1e-6);
    this.theta = ropeTheta(config.raw());
    this.keyValueHeads = config.keyValueHeads();
    this.slidingWindow = slidingWindow(config.raw(), config.modelType());
  }

  /**
   * The family's config keys: hidden_size, intermediate_size, num_hidden_layers,
   * num_attention_heads, num_key_value_heads [heads], head_dim [hidden/heads], vocab_size,
   * max_position_embeddings, rms_norm_eps [1e-6], rope_theta [10000] (or v5's rope_parameters of
   * type default), attention_bias, mlp_bias, tie_word_embeddings [false]; refuses other RoPE
   * scalings, partial_rotary_factor ≠ 1, activations other than silu, and pruned_heads.
   */
  static ModelConfig config(ObjectNode raw, String modelType) {
    int hidden = ConfigValues.positive(raw, "hidden_size", ConfigValues.MAX_DIMENSION);
    int heads = ConfigValues.positive(raw, "num_attention_heads", 1024);
    int keyValue = ConfigValues.optionalPositive(raw, "num_key_value_heads", heads, 1024);
    if (heads % keyValue != 0) {
      throw new InvalidInputException(
          "config.json: num_attention_heads "
              + heads
              + " is not a multiple of num_key_value_heads "
              + keyValue);
    }
    int headDim = ConfigValues.optionalPositive(raw, "head_dim", hidden / heads, 4096);
    if (headDim % 2 != 0) {
      throw new InvalidInputException(
          "config.json: head_dim " + headDim + " must be even for rotary positions");
    }
    int layers = ConfigValues.positive(raw, "num_hidden_layers", 1024);
    ConfigValues.positive(raw, "vocab_size", ConfigValues.MAX_VOCAB);
    ConfigValues.positive(raw, "intermediate_size", 16 * ConfigValues.MAX_DIMENSION);
    ConfigValues.oneOf(raw, "hidden_act", "silu", "silu", "swish");
    ConfigValues.optionalPositiveNumber(raw, "rms_norm_eps", 1e-6);
    ConfigValues.optionalBoolean(raw, "attention_bias", false);
    ConfigValues.optionalBoolean(raw, "mlp_bias", false);
    ConfigValues.optionalBoolean(raw, "tie_word_embeddings", false);
    ropeTheta(raw);
    JsonNode partial = raw.get("partial_rotary_factor");
    if (partial != null && !partial.isNull() && partial.asDouble() != 1.0) {
      throw new UnsupportedModelException(
          "config.json: partial_rotary_factor " + partial + " is not supported (1)");
    }
    JsonNode pruned = raw.get("pruned_heads");
    if (pruned != null && !pruned.isNull() && !pruned.isEmpty()) {
      throw new UnsupportedModelException(
          "config.json: pruned_heads is not a "
              + modelType
              + " concept (transformers "
              + "ignores it); a pruned checkpoint of this family is a stock config with fewer heads");
    }
    int positions = ConfigValues.optionalPositive(raw, "max_position_embeddings", 2048, 1 << 24);
    String className = Models.className(raw, Models.architecture(raw));
    return new ModelConfig(
        className,
        modelType,
        hidden,
        layers,
        heads,
        keyValue,
        headDim,
        positions,
        true,
        true,
        0,
        ConfigValues.labels(raw),
        java.util.Map.of(),
        raw);
  }

  /** rope_theta, or v5's rope_parameters; only the default (unscaled) rotary embedding. */
  private static double ropeTheta(ObjectNode raw) {
    JsonNode parameters = raw.get("rope_parameters");
    JsonNode scaling = raw.get("rope_scaling");
    JsonNode theta = raw.get("rope_theta");
    if (parameters != null && parameters.isObject()) {
      scaling = scaling != null && !scaling.isNull() ? scaling : parameters;
      theta = parameters.has("rope_theta") ? parameters.get("rope_theta") : theta;
    }
    if (scaling != null && !scaling.isNull()) {
      String type =
          scaling.isObject()
              ? scaling.path("rope_type").asString(scaling.path("type").asString(""))
              : "";
      if (!type.equals("default")) {
        throw new UnsupportedModelException(
            "config.json: rope_scaling "
                + scaling
                + " is not supported (only null or "
                + "the default rotary embedding)");
      }
    }
    if (theta == null || theta.isNull()) {
      return 10000.0;
    }
    if (!theta.isNumber() || !(theta.asDouble() > 0) || !Double.isFinite(theta.asDouble())) {
      throw new InvalidInputException(
          "config.json: rope_theta must be a positive number, got " + theta);
    }
    return theta.asDouble();
  }

  /** Mistral's sliding_window [4096], Qwen2's when use_sliding_window; null for none. */
  private static Integer slidingWindow(ObjectNode raw, String modelType) {
    boolean windowed =
        modelType.equals("mistral")
            || modelType.equals("qwen2") && raw.path("use_sliding_window").asBoolean(false);
    if (!windowed) {
      return null;
    }
    JsonNode window = raw.get("sliding_window");
    if (window == null) {
      return 4096;
    }
    return window.isNull() ? null : window.asInt();
  }

  private static boolean qkvBias(ModelConfig config) {
    return config.modelType().equals("qwen2")
        || config.raw().path("attention_bias").asBoolean(false);
  }

  private static boolean outputBias(ModelConfig config) {
    return !config.modelType().equals("qwen2")
        && config.raw().path("attention_bias").asBoolean(false);
  }

  private static String base(Checkpoint checkpoint) {
    return checkpoint.tensors().containsKey(BASE + "embed_tokens.weight") ? BASE : "";
  }

  /**
   * q_proj rows per query head, k/v_proj rows per key/value head, o_proj columns per query head.
   */
  static HeadLayout layout(Checkpoint checkpoint) {
    ModelConfig config = checkpoint.config();
    int heads = config.attentionHeads();
    int kv = config.keyValueHeads();
    List<HeadLayout.LayerHeads> layers = new ArrayList<>();
    for (int l = 0; l < config.layers(); l++) {
      String p = base(checkpoint) + "layers." + l + ".self_attn.";
      List<HeadLayout.Tensor> tensors = new ArrayList<>();
      for (String[] named :
          new String[][] {{"q_proj", "QUERY"}, {"k_proj", "KEY"}, {"v_proj", "VALUE"}}) {
        HeadLayout.Role role = HeadLayout.Role.valueOf(named[1]);
        List<HeadLayout.Block> blocks =
            List.of(new HeadLayout.Block(role, role == HeadLayout.Role.QUERY ? heads : kv));
        tensors.add(new HeadLayout.Tensor(p + named[0] + ".weight", 0, blocks));
        if (qkvBias(config)) {
          tensors.add(new HeadLayout.Tensor(p + named[0] + ".bias", 0, blocks));
        }
      }
      tensors.add(
          new HeadLayout.Tensor(
              p + "o_proj.weight",
              1,
              List.of(new HeadLayout.Block(HeadLayout.Role.OUTPUT, heads))));
      layers.add(
          new HeadLayout.LayerHeads(l, config.remainingHeads(l), kv, config.headSize(), tensors));
    }
    return new HeadLayout(layers);
  }

  /**
   * Loads a checkpoint of the family onto {@code device}, checking every expected weight and shape.
   */
  static Llama load(Checkpoint checkpoint, Device device) {
    ModelConfig config = checkpoint.config();
    ObjectNode raw = config.raw();
    return Devices.loading(
        device,
        manager -> {
          Weights weights = new Weights(checkpoint, manager, base(checkpoint));
          long e = config.hiddenSize();
          long q = (long) config.attentionHeads() * config.headSize();
          long kv = (long) config.keyValueHeads() * config.headSize();
          long ffn = raw.get("intermediate_size").asLong();
          int vocab = raw.get("vocab_size").asInt();
          boolean mlpBias = raw.path("mlp_bias").asBoolean(false);
          NDArray embeddings = weights.load("embed_tokens.weight", vocab, e);
          List<Layer> layers = new ArrayList<>();
          for (int l = 0; l < config.layers(); l++) {
            String p = "layers." + l + ".";
            layers.add(
                new Layer(
                    config.remainingHeads(l),
                    weights.load(p + "input_layernorm.weight", e),
                    attention(weights, p + "self_attn.q_proj", q, e, qkvBias(config), config),
                    attention(weights, p + "self_attn.k_proj", kv, e, qkvBias(config), config),
                    attention(weights, p + "self_attn.v_proj", kv, e, qkvBias(config), config),
                    attention(weights, p + "self_attn.o_proj", e, q, outputBias(config), config),
                    weights.load(p + "post_attention_layernorm.weight", e),
                    dense(weights, p + "mlp.gate_proj", ffn, e, mlpBias),
                    dense(weights, p + "mlp.up_proj", ffn, e, mlpBias),
                    dense(weights, p + "mlp.down_proj", e, ffn, mlpBias)));
          }
          NDArray norm = weights.load("norm.weight", e);
          Weights head = new Weights(checkpoint, manager, "");
          boolean tied = raw.path("tie_word_embeddings").asBoolean(false);
          NDArray lmHead = tied ? embeddings : head.load("lm_head.weight", vocab, e);
          return new Llama(
              config,
              manager,
              embeddings,
              layers,
              norm,
              lmHead,
              weights.parameters() + head.parameters());
        });
  }

  private static Dense dense(Weights weights, String name, long out, long in, boolean bias) {
    return bias
        ? Dense.load(weights, name, out, in)
        : Dense.loadWithoutBias(weights, name, out, in);
  }

  /** An attention projection, naming the config keys its shape comes from when it disagrees. */
  private static Dense attention(
      Weights weights, String name, long out, long in, boolean bias, ModelConfig config) {
    try {
      return dense(weights, name, out, in, bias);
    } catch (InvalidInputException e) {
      throw new InvalidInputException(
          e.getMessage()
              + " (from num_attention_heads "
              + config.attentionHeads()
              + ", num_key_value_heads "
              + config.keyValueHeads()
              + ", head_dim "
              + config.headSize()
              + ", hidden_size "
              + config.hiddenSize()
              + ")");
    }
  }

  @Override
  public Output forward(Batch batch, List<NDArray> gates) {
    NDManager scope = batch.inputIds().getManager();
    int length = (int) batch.inputIds().getShape().get(1);
    int longest = java.util.Arrays.stream(batch.lengths()).max().orElse(0);
    if (length > config.maxPositions()) {
      throw new InvalidInputException(
          "sequence of "
              + length
              + " tokens exceeds max_position_embeddings "
              + config.maxPositions());
    }
    if (slidingWindow != null && longest > slidingWindow) {
      throw new UnsupportedModelException(
          "a sequence of "
              + longest
              + " tokens is longer than sliding_window "
              + slidingWindow
              + "; sliding-window attention is not implemented (use a shorter --max-length)");
    }
    long size = batch.size();
    int d = config.headSize();
    NDArray epsilon = scope.create(eps);
    NDArray scale = scope.create((float) Math.pow(d, -0.5));
    NDArray[] rotary = rotary(scope, length, d); // cos, sin: (1, 1, T, D)
    NDArray mask = Attention.causalMask(scope, batch.lengths(), length); // (B, 1, T, T)

    NDArray hidden =
        Embedding.embedding(batch.inputIds(), embeddings, SparseFormat.DENSE)
            .singletonOrThrow(); // (B, T, E)
    List<NDArray> attentions = new ArrayList<>();
    for (int l = 0; l < layers.size(); l++) {
      Layer layer = layers.get(l);
      int count = layer.heads().length;
      int groups = count / keyValueHeads;

      // attention: RMSNorm, q/k/v with rotary positions, key/value heads repeated per group
      NDArray x = rmsNorm(hidden, layer.inputNorm(), epsilon); // (B, T, E)
      NDArray q = rope(heads(layer.query().apply(x), count, d), rotary); // (B, H, T, D)
      NDArray k =
          rope(heads(layer.key().apply(x), keyValueHeads, d), rotary)
              .repeat(1, groups); // (B, H, T, D)
      NDArray v = heads(layer.value().apply(x), keyValueHeads, d).repeat(1, groups); // (B, H, T, D)
      NDArray[] attended =
          Attention.attend(
              q,
              k,
              v,
              s -> s.muli(scale),
              mask,
              gates == null ? null : gates.get(l)); // (B, H, T, D), (B, H, T, T)
      NDArray context =
          attended[0].transpose(0, 2, 1, 3).reshape(size, length, (long) count * d); // (B, T, H·D)
      hidden = hidden.add(layer.output().apply(context)); // (B, T, E)
      attentions.add(attended[1]);

      // feed-forward: RMSNorm, down(silu(gate(x)) · up(x))
      NDArray y = rmsNorm(hidden, layer.postNorm(), epsilon); // (B, T, E)
      NDArray gated = layer.gate().apply(y);
      NDArray activated =
          gated.mul(Activation.sigmoid(gated)).mul(layer.up().apply(y)); // (B, T, F)
      hidden = hidden.add(layer.down().apply(activated)); // (B, T, E)
    }
    hidden = rmsNorm(hidden, finalNorm, epsilon); // (B, T, E)
    return new Output(hidden.matMul(lmHead.transpose()), attentions); // (B, T, V)
  }

  /**
   * weight · x / √(mean(x²) + eps), over the last axis (transformers: x · rsqrt(…), same to
   * rounding).
   */
  private static NDArray rmsNorm(NDArray x, NDArray weight, NDArray epsilon) {
    NDArray variance = x.mul(x).mean(new int[] {-1}, true); // (B, T, 1)
    return x.div(variance.add(epsilon).sqrt()).mul(weight);
  }

  /** (B, T, N·D) to (B, N, T, D). */
  private static NDArray heads(NDArray projected, int count, int headSize) {
    Shape shape = projected.getShape();
    return projected.reshape(shape.get(0), shape.get(1), count, headSize).transpose(0, 2, 1, 3);
  }

  /**
   * cos and sin of {@code position · inv_freq} for positions 0 … T−1, the D/2 frequencies twice
   * ({@code cat(freqs, freqs)}), in float32 as transformers computes them: (1, 1, T, D) each.
   */
  private NDArray[] rotary(NDManager scope, int length, int d) {
    float[] inverse = new float[d / 2];
    for (int i = 0; i < d / 2; i++) {
      float exponent = (float) (2 * i) / (float) d;
      inverse[i] = 1f / (float) Math.pow(theta, exponent);
    }
    float[] cos = new float[length * d];
    float[] sin = new float[length * d];
    for (int t = 0; t < length; t++) {
      for (int i = 0; i < d; i++) {
        float angle = (float) t * inverse[i % (d / 2)];
        cos[t * d + i] = (float) Math.cos(angle);
        sin[t * d + i] = (float) Math.sin(angle);
      }
    }
    Shape shape = new Shape(1, 1, length, d);
    return new NDArray[] {scope.create(cos, shape), scope.create(sin, shape)};
  }

  /**
   * x · cos + rotate_half(x) · sin, rotate_half(x) = cat(−x[D/2:], x[:D/2]) (halves, not pairs).
   */
  private static NDArray rope(NDArray x, NDArray[] rotary) {
    long half = x.getShape().get(3) / 2;
    NDArray first = x.get(":, :, :, 0:" + half);
    NDArray second = x.get(":, :, :, " + half + ":");
    NDArray rotated = NDArrays.concat(new NDList(second.neg(), first), 3);
    return x.mul(rotary[0]).add(rotated.mul(rotary[1]));
  }

  @Override
  public double[][] headWeightNorms() {
    int d = config.headSize();
    double[][] norms = new double[layers.size()][];
    for (int l = 0; l < layers.size(); l++) {
      Layer layer = layers.get(l);
      int count = layer.heads().length;
      int groups = count / keyValueHeads;
      Matrix q = Matrix.of(layer.query().weight());
      Matrix k = Matrix.of(layer.key().weight());
      Matrix v = Matrix.of(layer.value().weight());
      Matrix o = Matrix.of(layer.output().weight());
      norms[l] = new double[count];
      for (int h = 0; h < count; h++) {
        long group = (long) (h / groups) * d;
        norms[l][h] =
            Math.sqrt(
                squares(q, 0, (long) h * d, d)
                    + squares(k, 0, group, d)
                    + squares(v, 0, group, d)
                    + squares(o, 1, (long) h * d, d));
      }
    }
    return norms;
  }
}
