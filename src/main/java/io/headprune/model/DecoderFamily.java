package io.headprune.model;

import ai.djl.ndarray.NDArray;
import io.headprune.checkpoint.ConfigValues;
import io.headprune.problem.InvalidInputException;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A decoder family as data over the one {@link Decoder} block: names, defaults of its config keys,
 * and each way it differs from Llama (biases, q/k norms, fused projections, norm kind, embedding
 * scale, activation, soft-caps, query scalar, rotary options, sliding-window pattern). A family
 * file builds one from the family it resembles ({@code Qwen3 = Qwen2 + q/k norms}), as
 * transformers' modular files do.
 *
 * @param modelType config's model_type
 * @param className the causal-LM class
 * @param defaultHeadDim head_dim when absent; 0 for hidden_size / num_attention_heads
 * @param defaultMaxPositions max_position_embeddings when absent
 * @param defaultEps rms_norm_eps when absent
 * @param tiedByDefault tie_word_embeddings when absent
 * @param biases which attention projections carry biases
 * @param mlpBias whether mlp_bias is read (else the MLP has none)
 * @param qkNorm an RMSNorm over head_dim on each head's query and key before rotary (Qwen3)
 * @param fused one qkv_proj ([q | k | v] rows) and one gate_up_proj ([gate | up] rows)
 * @param normPlusOne RMSNorm multiplies by 1 + w (Gemma)
 * @param sandwichNorms norms after attention and around the MLP (four per layer, Gemma-2)
 * @param embeddingScale embeddings × √hidden_size (Gemma)
 * @param activation the MLP's gate activation and the config key naming it
 * @param ropeScaling whether rotary types other than default are read (else refused)
 * @param partialRotary whether partial_rotary_factor ≠ 1 is read (else refused)
 * @param windows which layers attend within a sliding window
 * @param attentionCap the soft-cap of attention scores, or null
 * @param finalCap the soft-cap of the logits, or null
 * @param queryScalarKey the key whose value^−½ scales q·kᵀ (else head_dim), or null
 * @param queryScalarDefault that key's default
 * @param headsMustDivideHidden transformers refuses hidden_size not divisible by the head count
 * @param refusals boolean keys this engine does not implement when true
 */
public record DecoderFamily(
    String modelType,
    String className,
    int defaultHeadDim,
    int defaultMaxPositions,
    double defaultEps,
    boolean tiedByDefault,
    Biases biases,
    boolean mlpBias,
    boolean qkNorm,
    boolean fused,
    boolean normPlusOne,
    boolean sandwichNorms,
    boolean embeddingScale,
    GateActivation activation,
    boolean ropeScaling,
    boolean partialRotary,
    Windows windows,
    Cap attentionCap,
    Cap finalCap,
    String queryScalarKey,
    double queryScalarDefault,
    boolean headsMustDivideHidden,
    List<String> refusals) {

  public DecoderFamily {
    refusals = List.copyOf(refusals);
  }

  /** Llama, the family the others are stated against. */
  static DecoderFamily llama() {
    return new DecoderFamily(
        "llama",
        "LlamaForCausalLM",
        0,
        2048,
        1e-6,
        false,
        Biases.ATTENTION_BIAS,
        true,
        false,
        false,
        false,
        false,
        false,
        GateActivation.SILU,
        true,
        false,
        Windows.NONE,
        null,
        null,
        null,
        0,
        false,
        List.of());
  }

  /** This family changed by {@code change}: what a family file states. */
  DecoderFamily with(UnaryOperator<Builder> change) {
    return change.apply(new Builder(this)).build();
  }

  /** A soft-cap's key and its value when absent (null: off unless given). */
  public record Cap(String key, Double fallback) {}

  /** The value whose inverse square root scales the attention scores. */
  double queryScale(ObjectNode raw, int headDim) {
    return queryScalarKey == null
        ? headDim
        : ConfigValues.optionalPositiveNumber(raw, queryScalarKey, queryScalarDefault);
  }

  /** Where the attention projections have biases. */
  public enum Biases {
    /** q, k, v and o iff attention_bias (Llama, Mistral, Qwen3, Gemma-2). */
    ATTENTION_BIAS,
    /** q, k and v always, o never (Qwen2). */
    QKV_ALWAYS,
    /** None, attention_bias unread (Phi-3). */
    NONE;

    boolean qkv(ObjectNode raw) {
      return this == QKV_ALWAYS
          || this == ATTENTION_BIAS && raw.path("attention_bias").asBoolean(false);
    }

    boolean output(ObjectNode raw) {
      return this == ATTENTION_BIAS && raw.path("attention_bias").asBoolean(false);
    }
  }

  /** The MLP's gate activation, read from {@code key}. */
  public enum GateActivation {
    /** x · sigmoid(x), from hidden_act. */
    SILU("hidden_act", "silu", "silu", "swish"),
    /** GELU, tanh approximation, from hidden_activation (Gemma; hidden_act is not read). */
    GELU_TANH("hidden_activation", "gelu_pytorch_tanh", "gelu_pytorch_tanh", "gelu_new");

    private final String key;
    private final String fallback;
    private final String[] accepted;

    GateActivation(String key, String fallback, String... accepted) {
      this.key = key;
      this.fallback = fallback;
      this.accepted = accepted;
    }

    void check(ObjectNode raw) {
      ConfigValues.oneOf(raw, key, fallback, accepted);
    }

    NDArray apply(NDArray x) {
      return this == SILU ? Decoder.silu(x) : Decoder.geluTanh(x);
    }
  }

  /** Per layer, the sliding window (keys i − W &lt; j ≤ i), 0 for full causal attention. */
  @FunctionalInterface
  public interface Windows {

    /** The windows of a config's layers, refusing malformed keys by name. */
    int[] of(ObjectNode raw, int layers);

    /** No layer slides (Llama). */
    Windows NONE = (raw, layers) -> new int[layers];

    /** Every layer slides by sliding_window ({@code fallback} when absent, 0: none; null: none). */
    static Windows everyLayer(int fallback) {
      return (raw, layers) -> {
        int window = window(raw, fallback);
        int[] windows = new int[layers];
        Arrays.fill(windows, window);
        return windows;
      };
    }

    /**
     * Only with use_sliding_window: the layers whose layer_types entry is sliding_attention, by
     * default those at or above max_window_layers [28] (Qwen2, Qwen3).
     */
    Windows QWEN =
        (raw, layers) -> {
          if (!ConfigValues.optionalBoolean(raw, "use_sliding_window", false)) {
            return new int[layers];
          }
          int window = window(raw, 4096);
          int from = ConfigValues.optionalPositive(raw, "max_window_layers", 28, 1 << 20);
          return byType(raw, layers, window, l -> l >= from);
        };

    /** The layers whose layer_types entry is sliding_attention, by default the even ones. */
    Windows ALTERNATING = (raw, layers) -> byType(raw, layers, window(raw, 4096), l -> l % 2 == 0);

    private static int[] byType(ObjectNode raw, int layers, int window, IntPredicate slides) {
      JsonNode types = raw.get("layer_types");
      int[] windows = new int[layers];
      for (int l = 0; l < layers; l++) {
        boolean sliding = slides.test(l);
        if (types != null && !types.isNull()) {
          if (!types.isArray() || types.size() != layers) {
            throw new InvalidInputException(
                "config.json: layer_types must list one entry per layer (" + layers + ")");
          }
          String type = types.get(l).asString("");
          if (!type.equals("sliding_attention") && !type.equals("full_attention")) {
            throw new InvalidInputException(
                "config.json: layer_types["
                    + l
                    + "] '"
                    + type
                    + "' is neither sliding_attention nor full_attention");
          }
          sliding = type.equals("sliding_attention");
        }
        windows[l] = sliding ? window : 0;
      }
      return windows;
    }

    private static int window(ObjectNode raw, int fallback) {
      JsonNode value = raw.get("sliding_window");
      if (value == null) {
        return fallback;
      }
      if (value.isNull()) {
        return 0;
      }
      if (!value.isIntegralNumber() || value.asLong() < 1 || value.asLong() > (1 << 24)) {
        throw new InvalidInputException(
            "config.json: sliding_window must be a positive integer or null, got " + value);
      }
      return value.asInt();
    }
  }

  /** The mutable copy a family file edits. */
  static final class Builder {
    private String modelType;
    private String className;
    private int defaultHeadDim;
    private int defaultMaxPositions;
    private double defaultEps;
    private boolean tiedByDefault;
    private Biases biases;
    private boolean mlpBias;
    private boolean qkNorm;
    private boolean fused;
    private boolean normPlusOne;
    private boolean sandwichNorms;
    private boolean embeddingScale;
    private GateActivation activation;
    private boolean ropeScaling;
    private boolean partialRotary;
    private Windows windows;
    private Cap attentionCap;
    private Cap finalCap;
    private String queryScalarKey;
    private double queryScalarDefault;
    private boolean headsMustDivideHidden;
    private List<String> refusals;

    private Builder(DecoderFamily f) {
      modelType = f.modelType;
      className = f.className;
      defaultHeadDim = f.defaultHeadDim;
      defaultMaxPositions = f.defaultMaxPositions;
      defaultEps = f.defaultEps;
      tiedByDefault = f.tiedByDefault;
      biases = f.biases;
      mlpBias = f.mlpBias;
      qkNorm = f.qkNorm;
      fused = f.fused;
      normPlusOne = f.normPlusOne;
      sandwichNorms = f.sandwichNorms;
      embeddingScale = f.embeddingScale;
      activation = f.activation;
      ropeScaling = f.ropeScaling;
      partialRotary = f.partialRotary;
      windows = f.windows;
      attentionCap = f.attentionCap;
      finalCap = f.finalCap;
      queryScalarKey = f.queryScalarKey;
      queryScalarDefault = f.queryScalarDefault;
      headsMustDivideHidden = f.headsMustDivideHidden;
      refusals = f.refusals;
    }

    Builder named(String type, String className) {
      this.modelType = type;
      this.className = className;
      return this;
    }

    Builder headDim(int headDim) {
      this.defaultHeadDim = headDim;
      return this;
    }

    Builder maxPositions(int positions) {
      this.defaultMaxPositions = positions;
      return this;
    }

    Builder eps(double eps) {
      this.defaultEps = eps;
      return this;
    }

    Builder tied(boolean tied) {
      this.tiedByDefault = tied;
      return this;
    }

    Builder biases(Biases biases, boolean mlpBias) {
      this.biases = biases;
      this.mlpBias = mlpBias;
      return this;
    }

    Builder qkNorm() {
      this.qkNorm = true;
      return this;
    }

    Builder fused() {
      this.fused = true;
      return this;
    }

    /** Gemma's RMSNorm (1 + w), four norms per layer, embeddings × √hidden. */
    Builder gemmaNorms() {
      this.normPlusOne = true;
      this.sandwichNorms = true;
      this.embeddingScale = true;
      return this;
    }

    Builder activation(GateActivation activation) {
      this.activation = activation;
      return this;
    }

    Builder rotary(boolean scaling, boolean partial) {
      this.ropeScaling = scaling;
      this.partialRotary = partial;
      return this;
    }

    Builder windows(Windows windows) {
      this.windows = windows;
      return this;
    }

    Builder softCaps(Cap attention, Cap logits) {
      this.attentionCap = attention;
      this.finalCap = logits;
      return this;
    }

    Builder queryScalar(String key, double fallback) {
      this.queryScalarKey = key;
      this.queryScalarDefault = fallback;
      return this;
    }

    Builder headsMustDivideHidden() {
      this.headsMustDivideHidden = true;
      return this;
    }

    Builder refuse(String... keys) {
      this.refusals = List.of(keys);
      return this;
    }

    DecoderFamily build() {
      return new DecoderFamily(
          modelType,
          className,
          defaultHeadDim,
          defaultMaxPositions,
          defaultEps,
          tiedByDefault,
          biases,
          mlpBias,
          qkNorm,
          fused,
          normPlusOne,
          sandwichNorms,
          embeddingScale,
          activation,
          ropeScaling,
          partialRotary,
          windows,
          attentionCap,
          finalCap,
          queryScalarKey,
          queryScalarDefault,
          headsMustDivideHidden,
          refusals);
    }
  }
}
