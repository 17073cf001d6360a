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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The decoder block of the Llama lineage (transformers 4.x/5, eager attention), parameterised by a
 * {@link DecoderFamily} description: token embeddings (optionally × √hidden); per layer {@code h +=
 * [post-norm](o_proj(attention(rope(norm_q(q)), rope(norm_k(k)), v)))} on {@code x = norm(h)} with
 * grouped-query attention (query head h reads key/value head h / (H/KV)), causal, inside a sliding
 * window where the layer has one, scores optionally soft-capped, a gate per example and query head;
 * {@code h += [post-norm](down(act(gate(y)) · up(y)))} on {@code y = norm(h)}; the final norm, the
 * LM head (or the tied embeddings) and optionally soft-capped logits. Fused {@code qkv_proj} and
 * {@code gate_up_proj} (Phi-3) are split into their row blocks at load.
 *
 * <p>On several devices ({@code gpu0+gpu1}) consecutive layers run on each, as a {@link Placement}
 * says; a batch's inputs, gates, attention probabilities and logits stay on the first device and
 * the hidden states cross between layers.
 *
 * <p>Shapes: B batch, T tokens, E hidden, H query heads of the layer, KV key/value heads, G = H /
 * KV, D head size, R rotary dimensions, F feed-forward, V vocabulary.
 */
public final class Decoder extends LoadedModel {

  private final DecoderFamily family;
  private final NDArray embeddings;
  private final List<Layer> layers;
  private final NDArray finalNorm;
  private final NDArray lmHead;
  private final float eps;
  private final Rope rope;
  private final int keyValueHeads;
  private final int[] windows;
  private final float scale;
  private final Float attentionCap;
  private final Float finalCap;

  /** The checkpoint layers load from one at a time, or null when every layer is resident. */
  private final Checkpoint streamedFrom;

  /** The device each layer runs on. */
  private final Placement placement;

  /** The buffer a streamed layer's weights are widened through. */
  private final Weights.Scratch scratch = new Weights.Scratch();

  /**
   * A streamed model's layer loads, one ahead of the compute; null when every layer is resident.
   */
  private final LayerPrefetch<Layer> prefetch;

  private record Layer(
      int[] heads,
      NDArray inputNorm,
      Dense query,
      Dense key,
      Dense value,
      Dense output,
      NDArray queryNorm,
      NDArray keyNorm,
      NDArray postAttentionNorm,
      NDArray preFeedForwardNorm,
      NDArray postFeedForwardNorm,
      Dense gate,
      Dense up,
      Dense down) {}

  private Decoder(
      DecoderFamily family,
      ModelConfig config,
      NDManager manager,
      NDArray embeddings,
      List<Layer> layers,
      NDArray finalNorm,
      NDArray lmHead,
      long parameters,
      Checkpoint streamedFrom,
      Placement placement) {
    super(config, manager, layers.stream().map(Layer::heads).toList(), parameters);
    this.streamedFrom = streamedFrom;
    this.placement = placement;
    this.prefetch =
        streamedFrom == null
            ? null
            : new LayerPrefetch<>(
                layers.size(),
                l -> manager.newSubManager(placement.of(l)),
                (l, scope) ->
                    layer(
                        new Weights(streamedFrom, scope, base(streamedFrom), scratch),
                        l,
                        family,
                        config));
    this.family = family;
    this.embeddings = embeddings;
    this.layers = List.copyOf(layers);
    this.finalNorm = finalNorm;
    this.lmHead = lmHead;
    ObjectNode raw = config.raw();
    this.eps = (float) raw.path("rms_norm_eps").asDouble(family.defaultEps());
    this.rope = rope(family, raw, config.headSize(), positions(raw, family));
    this.keyValueHeads = config.keyValueHeads();
    this.windows = family.windows().of(raw, config.layers());
    this.scale = (float) Math.pow(family.queryScale(raw, config.headSize()), -0.5);
    this.attentionCap = cap(raw, family.attentionCap());
    this.finalCap = cap(raw, family.finalCap());
  }

  /** The family as the data the rest of headprune reads. */
  static Architecture architecture(DecoderFamily family) {
    return new Architecture(
        family.modelType(),
        List.of(family.className()),
        Architecture.Modality.TEXT,
        List.of(),
        raw -> config(raw, family),
        checkpoint -> layout(checkpoint, family),
        Architecture.PhysicalPruning.REDUCED_COUNTS,
        (checkpoint, device) -> load(checkpoint, device, family, false),
        (checkpoint, device) -> load(checkpoint, device, family, true));
  }

  /**
   * The block's config keys: hidden_size, intermediate_size, num_hidden_layers,
   * num_attention_heads, num_key_value_heads [heads], head_dim [the family's default], vocab_size,
   * max_position_embeddings [the family's], rms_norm_eps, the rotary settings ({@link Rope}), the
   * sliding windows, the activation, the soft-caps and query scalar where the family reads them,
   * biases and tie_word_embeddings; refuses pruned_heads.
   */
  static ModelConfig config(ObjectNode raw, DecoderFamily family) {
    String modelType = family.modelType();
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
    int fallbackHeadDim = family.defaultHeadDim() > 0 ? family.defaultHeadDim() : hidden / heads;
    int headDim = ConfigValues.optionalPositive(raw, "head_dim", fallbackHeadDim, 4096);
    int layers = ConfigValues.positive(raw, "num_hidden_layers", 1024);
    ConfigValues.positive(raw, "vocab_size", ConfigValues.MAX_VOCAB);
    ConfigValues.positive(raw, "intermediate_size", 16 * ConfigValues.MAX_DIMENSION);
    family.activation().check(raw);
    ConfigValues.optionalPositiveNumber(raw, "rms_norm_eps", family.defaultEps());
    ConfigValues.optionalBoolean(raw, "attention_bias", false);
    ConfigValues.optionalBoolean(raw, "mlp_bias", false);
    ConfigValues.optionalBoolean(raw, "tie_word_embeddings", family.tiedByDefault());
    JsonNode pruned = raw.get("pruned_heads");
    if (pruned != null && !pruned.isNull() && !pruned.isEmpty()) {
      throw new UnsupportedModelException(
          "config.json: pruned_heads is not a "
              + modelType
              + " concept (transformers ignores it); a pruned checkpoint of this family is a stock"
              + " config with fewer heads");
    }
    int positions = positions(raw, family);
    if (rope(family, raw, headDim, positions).extendsContext()) {
      positions = 1 << 24; // dynamic scaling runs past max_position_embeddings: its purpose
    }
    family.windows().of(raw, layers);
    family.queryScale(raw, headDim);
    cap(raw, family.attentionCap());
    cap(raw, family.finalCap());
    family.refusals().forEach(key -> refuseIfTrue(raw, key, modelType));
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
        Map.of(),
        raw);
  }

  private static int positions(ObjectNode raw, DecoderFamily family) {
    return ConfigValues.optionalPositive(
        raw, "max_position_embeddings", family.defaultMaxPositions(), 1 << 24);
  }

  private static Rope rope(DecoderFamily family, ObjectNode raw, int headDim, int positions) {
    return Rope.of(raw, headDim, positions, family.ropeScaling(), family.partialRotary());
  }

  private static void refuseIfTrue(ObjectNode raw, String key, String modelType) {
    if (ConfigValues.optionalBoolean(raw, key, false)) {
      throw new UnsupportedModelException(
          "config.json: " + key + " true is not supported for " + modelType);
    }
  }

  /** A soft-cap read from its key (its family default when absent; null = off), or null. */
  private static Float cap(ObjectNode raw, DecoderFamily.Cap cap) {
    if (cap == null) {
      return null;
    }
    JsonNode value = raw.get(cap.key());
    if (value == null) {
      return cap.fallback() == null ? null : cap.fallback().floatValue();
    }
    if (value.isNull()) {
      return null;
    }
    if (!value.isNumber() || !(value.asDouble() > 0) || !Double.isFinite(value.asDouble())) {
      throw new InvalidInputException(
          "config.json: " + cap.key() + " must be a positive number or null, got " + value);
    }
    return (float) value.asDouble();
  }

  private static String base(Checkpoint checkpoint) {
    return checkpoint.tensors().containsKey("model.embed_tokens.weight") ? "model." : "";
  }

  /**
   * Query rows per query head, key/value rows per key/value head (one fused qkv_proj holds them in
   * that order), o_proj columns per query head.
   */
  static HeadLayout layout(Checkpoint checkpoint, DecoderFamily family) {
    ModelConfig config = checkpoint.config();
    int heads = config.attentionHeads();
    int kv = config.keyValueHeads();
    HeadLayout.Block query = new HeadLayout.Block(HeadLayout.Role.QUERY, heads);
    HeadLayout.Block key = new HeadLayout.Block(HeadLayout.Role.KEY, kv);
    HeadLayout.Block value = new HeadLayout.Block(HeadLayout.Role.VALUE, kv);
    boolean bias = family.biases().qkv(config.raw());
    List<HeadLayout.LayerHeads> layers = new ArrayList<>();
    for (int l = 0; l < config.layers(); l++) {
      String p = base(checkpoint) + "layers." + l + ".self_attn.";
      List<HeadLayout.Tensor> tensors = new ArrayList<>();
      if (family.fused()) {
        tensors.add(new HeadLayout.Tensor(p + "qkv_proj.weight", 0, List.of(query, key, value)));
      } else {
        String[] names = {"q_proj", "k_proj", "v_proj"};
        HeadLayout.Block[] blocks = {query, key, value};
        for (int i = 0; i < 3; i++) {
          tensors.add(new HeadLayout.Tensor(p + names[i] + ".weight", 0, List.of(blocks[i])));
          if (bias) {
            tensors.add(new HeadLayout.Tensor(p + names[i] + ".bias", 0, List.of(blocks[i])));
          }
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
   * Loads a checkpoint onto {@code device}, checking every expected weight and shape. Streamed, the
   * layers' weights stay in the checkpoint's files in their stored precision (checked here, without
   * their data) and each layer is read and widened when it runs ({@link #streaming}); the
   * embeddings, final norm and LM head are resident either way. A device of several ({@code
   * gpu0+gpu1}) places the layers as {@link Models#placement} says.
   */
  static Decoder load(
      Checkpoint checkpoint, Device device, DecoderFamily family, boolean streamed) {
    ModelConfig config = checkpoint.config();
    ObjectNode raw = config.raw();
    Placement placement = Models.placement(checkpoint, device, streamed);
    return Devices.loading(
        placement.first(),
        manager -> {
          // one loader per device, each on a manager of that device owned by the model's
          List<Device> devices = placement.devices();
          Weights[] weights = new Weights[devices.size()];
          for (int d = 0; d < weights.length; d++) {
            NDManager on = d == 0 ? manager : manager.newSubManager(devices.get(d));
            weights[d] = new Weights(checkpoint, on, base(checkpoint));
          }
          Weights described =
              streamed ? new Weights(checkpoint.dataless(), manager, base(checkpoint)) : null;
          long e = config.hiddenSize();
          int vocab = raw.get("vocab_size").asInt();
          NDArray embeddings = weights[0].load("embed_tokens.weight", vocab, e);
          List<Layer> layers = new ArrayList<>();
          for (int l = 0; l < config.layers(); l++) {
            layers.add(
                layer(streamed ? described : weights[placement.indexOf(l)], l, family, config));
          }
          int last = config.layers() == 0 ? 0 : placement.indexOf(config.layers() - 1);
          NDArray norm = norm(weights[last], "norm.weight", e, family);
          NDManager lastManager = weights[last].manager();
          Weights head = new Weights(checkpoint, lastManager, "");
          boolean tied = raw.path("tie_word_embeddings").asBoolean(family.tiedByDefault());
          NDArray lmHead =
              tied ? onDevice(embeddings, lastManager) : head.load("lm_head.weight", vocab, e);
          long parameters = head.parameters() + (streamed ? described.parameters() : 0);
          for (Weights loaded : weights) {
            parameters += loaded.parameters();
          }
          return new Decoder(
              family,
              config,
              manager,
              embeddings,
              layers,
              norm,
              lmHead,
              parameters,
              streamed ? checkpoint : null,
              placement);
        });
  }

  /**
   * {@code array} on {@code manager}'s device: itself when it is there already (or when it is a
   * dataless model's null), else a copy owned by {@code manager}.
   */
  private static NDArray onDevice(NDArray array, NDManager manager) {
    if (array == null || array.getDevice().equals(manager.getDevice())) {
      return array;
    }
    NDArray copy = array.toDevice(manager.getDevice(), true);
    copy.attach(manager);
    return copy;
  }

  /**
   * {@code array} on {@code device} for the next operation, recorded by autograd when recording (a
   * gate's gradient flows back to the gate on the first device): itself when it is there.
   */
  private static NDArray to(NDArray array, Device device) {
    return array == null || array.getDevice().equals(device)
        ? array
        : array.toDevice(device, false);
  }

  /**
   * Layer {@code l}'s weights, loaded (or, from a dataless checkpoint, checked) by {@code weights}.
   */
  private static Layer layer(Weights weights, int l, DecoderFamily family, ModelConfig config) {
    ObjectNode raw = config.raw();
    long e = config.hiddenSize();
    long d = config.headSize();
    long q = config.attentionHeads() * d;
    long kv = config.keyValueHeads() * d;
    long ffn = raw.get("intermediate_size").asLong();
    boolean qkvBias = family.biases().qkv(raw);
    boolean outputBias = family.biases().output(raw);
    boolean mlpBias = family.mlpBias() && raw.path("mlp_bias").asBoolean(false);
    String p = "layers." + l + ".";
    String a = p + "self_attn.";
    Dense[] qkv;
    if (family.fused()) {
      Dense fused = projection(weights, a + "qkv_proj", q + 2 * kv, e, false, config);
      qkv = split(fused, q, q + kv);
    } else {
      qkv =
          new Dense[] {
            projection(weights, a + "q_proj", q, e, qkvBias, config),
            projection(weights, a + "k_proj", kv, e, qkvBias, config),
            projection(weights, a + "v_proj", kv, e, qkvBias, config)
          };
    }
    Dense[] gateUp;
    if (family.fused()) {
      gateUp = split(feedForward(weights, p + "mlp.gate_up_proj", 2 * ffn, e, false, ffn), ffn);
    } else {
      gateUp =
          new Dense[] {
            feedForward(weights, p + "mlp.gate_proj", ffn, e, mlpBias, ffn),
            feedForward(weights, p + "mlp.up_proj", ffn, e, mlpBias, ffn)
          };
    }
    boolean sandwich = family.sandwichNorms();
    return new Layer(
        config.remainingHeads(l),
        norm(weights, p + "input_layernorm.weight", e, family),
        qkv[0],
        qkv[1],
        qkv[2],
        projection(weights, a + "o_proj", e, q, outputBias, config),
        family.qkNorm() ? norm(weights, a + "q_norm.weight", d, family) : null,
        family.qkNorm() ? norm(weights, a + "k_norm.weight", d, family) : null,
        norm(weights, p + "post_attention_layernorm.weight", e, family),
        sandwich ? norm(weights, p + "pre_feedforward_layernorm.weight", e, family) : null,
        sandwich ? norm(weights, p + "post_feedforward_layernorm.weight", e, family) : null,
        gateUp[0],
        gateUp[1],
        feedForward(weights, p + "mlp.down_proj", e, ffn, mlpBias, ffn));
  }

  /**
   * Layer {@code l}'s weights in working precision: resident, or read onto its device (while the
   * layer before computes: {@link LayerPrefetch}) and owned by {@code manager} from then on.
   */
  private Layer weights(int l, NDManager manager) {
    if (streamedFrom == null) {
      return layers.get(l);
    }
    return prefetch.take(l, manager);
  }

  /** A norm's weight as the forward multiplies it: w, or 1 + w (Gemma, in float32). */
  private static NDArray norm(Weights weights, String name, long size, DecoderFamily family) {
    NDArray weight = weights.load(name, size);
    return weight == null || !family.normPlusOne() ? weight : weight.add(1f);
  }

  /** The row blocks [0, at₀), [at₀, at₁), …, [atₙ, rows) of a bias-free projection. */
  private static Dense[] split(Dense fused, long... at) {
    if (fused.weight() == null) {
      return new Dense[] {fused, fused, fused};
    }
    long rows = fused.weight().getShape().get(0);
    Dense[] parts = new Dense[at.length + 1];
    long from = 0;
    for (int i = 0; i <= at.length; i++) {
      long to = i < at.length ? at[i] : rows;
      parts[i] = new Dense(fused.weight().get(from + ":" + to + ", :"), null);
      from = to;
    }
    return parts;
  }

  private static Dense dense(Weights weights, String name, long out, long in, boolean bias) {
    return bias
        ? Dense.load(weights, name, out, in)
        : Dense.loadWithoutBias(weights, name, out, in);
  }

  /** A feed-forward projection, naming the config keys its shape comes from when it disagrees. */
  private static Dense feedForward(
      Weights weights, String name, long out, long in, boolean bias, long ffn) {
    try {
      return dense(weights, name, out, in, bias);
    } catch (InvalidInputException e) {
      throw new InvalidInputException(e.getMessage() + " (from intermediate_size " + ffn + ")");
    }
  }

  /** An attention projection, naming the config keys its shape comes from when it disagrees. */
  private static Dense projection(
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

  /** The device each layer runs on. */
  public Placement placement() {
    return placement;
  }

  @Override
  public void close() {
    if (prefetch != null) {
      prefetch.close();
    }
    super.close();
  }

  @Override
  public int slidingWindow(int layer) {
    return windows[layer];
  }

  @Override
  public boolean headsMustDivideHidden() {
    return family.headsMustDivideHidden();
  }

  /**
   * What every layer of a batch shares, on the batch's manager: the real lengths, the rotary
   * tables, a causal mask per sliding window and the scalar constants.
   */
  private record Pass(
      long size,
      int length,
      NDArray epsilon,
      NDArray scalar,
      NDArray[] rotary,
      Map<Integer, NDArray> masks,
      NDArray attentionCap) {

    /** This pass's shared arrays on {@code device} (copies owned by the batch's manager). */
    Pass on(Device device) {
      if (epsilon.getDevice().equals(device)) {
        return this;
      }
      Map<Integer, NDArray> moved = new HashMap<>();
      masks.forEach((window, mask) -> moved.put(window, to(mask, device)));
      return new Pass(
          size,
          length,
          to(epsilon, device),
          to(scalar, device),
          Arrays.stream(rotary).map(table -> to(table, device)).toArray(NDArray[]::new),
          moved,
          to(attentionCap, device));
    }
  }

  /** A batch's pass on each device of the placement, made when first needed. */
  private final class Passes {
    private final Pass[] onDevice = new Pass[placement.devices().size()];

    Passes(Pass first) {
      onDevice[0] = first;
    }

    /** The pass for layer {@code l}'s device. */
    Pass of(int l) {
      int d = placement.indexOf(l);
      if (onDevice[d] == null) {
        onDevice[d] = onDevice[0].on(placement.devices().get(d));
      }
      return onDevice[d];
    }

    /** The pass on the last layer's device, where the head runs. */
    Pass last() {
      return layers.isEmpty() ? onDevice[0] : of(layers.size() - 1);
    }
  }

  private Pass pass(Batch batch) {
    NDManager scope = batch.inputIds().getManager();
    int length = (int) batch.inputIds().getShape().get(1);
    int longest = Arrays.stream(batch.lengths()).max().orElse(0);
    if (longest > config.maxPositions() && !rope.extendsContext()) {
      throw new InvalidInputException(
          "sequence of "
              + longest
              + " tokens exceeds max_position_embeddings "
              + config.maxPositions());
    }
    Map<Integer, NDArray> masks = new HashMap<>();
    for (int window : windows) {
      masks.computeIfAbsent(
          window, w -> Attention.causalMask(scope, batch.lengths(), length, w)); // (B, 1, T, T)
    }
    return new Pass(
        batch.size(),
        length,
        scope.create(eps),
        scope.create(scale),
        rope.tables(scope, batch.lengths(), length), // cos, sin: (B|1, 1, T, R)
        masks,
        attentionCap == null ? null : scope.create(attentionCap));
  }

  /** The token embeddings (B, T, E), scaled where the family scales them. */
  private NDArray embed(Batch batch) {
    NDArray hidden =
        Embedding.embedding(batch.inputIds(), embeddings, SparseFormat.DENSE)
            .singletonOrThrow(); // (B, T, E)
    if (family.embeddingScale()) {
      NDManager scope = batch.inputIds().getManager();
      hidden = hidden.mul(scope.create((float) Math.sqrt(config.hiddenSize()))); // (B, T, E)
    }
    return hidden;
  }

  /**
   * Layer {@code l} with weights {@code layer} on {@code hidden} (B, T, E): the hidden states it
   * hands on (B, T, E) and its attention probabilities before gating (B, H, T, T). What it computes
   * belongs to the manager of {@code hidden}.
   */
  private NDArray[] layer(int l, Layer layer, NDArray hidden, NDArray gate, Pass pass) {
    return layer(l, layer, hidden, gate, pass, null);
  }

  /**
   * As above; {@code groupOf}, when not null, says which key/value head of {@code layer} each of
   * its query heads reads (a layer sliced to some heads: {@link #sliced}), else query head h reads
   * h / (heads / key/value heads).
   */
  private NDArray[] layer(
      int l, Layer layer, NDArray hidden, NDArray gate, Pass pass, int[] groupOf) {
    int d = config.headSize();
    int count = layer.heads().length;
    int groups = count / keyValueHeads;
    int keysValues =
        groupOf == null ? keyValueHeads : (int) (layer.key().weight().getShape().get(0) / d);

    // attention: norm, q/k/v (q/k normed per head), rotary positions, key/value heads repeated
    NDArray x = rmsNorm(hidden, layer.inputNorm(), pass.epsilon()); // (B, T, E)
    NDArray q = heads(layer.query().apply(x), count, d); // (B, H, T, D)
    NDArray k = heads(layer.key().apply(x), keysValues, d); // (B, KV, T, D)
    if (layer.queryNorm() != null) {
      q = rmsNorm(q, layer.queryNorm(), pass.epsilon());
      k = rmsNorm(k, layer.keyNorm(), pass.epsilon());
    }
    q = Rope.apply(q, pass.rotary()); // (B, H, T, D)
    k = perHead(Rope.apply(k, pass.rotary()), groups, groupOf); // (B, H, T, D)
    NDArray v =
        perHead(heads(layer.value().apply(x), keysValues, d), groups, groupOf); // (B, H, T, D)
    NDArray[] attended =
        Attention.attend(
            q,
            k,
            v,
            s -> {
              NDArray scaled = s.muli(pass.scalar());
              return pass.attentionCap() == null ? scaled : softCap(scaled, pass.attentionCap());
            },
            pass.masks().get(windows[l]),
            gate); // (B, H, T, D), (B, H, T, T)
    NDArray context =
        attended[0]
            .transpose(0, 2, 1, 3)
            .reshape(pass.size(), pass.length(), (long) count * d); // (B, T, H·D)
    NDArray attention = layer.output().apply(context); // (B, T, E)
    if (family.sandwichNorms()) {
      attention = rmsNorm(attention, layer.postAttentionNorm(), pass.epsilon());
    }
    hidden = hidden.add(attention); // (B, T, E)

    // feed-forward: norm, down(act(gate(y)) · up(y))
    NDArray y =
        rmsNorm(
            hidden,
            family.sandwichNorms() ? layer.preFeedForwardNorm() : layer.postAttentionNorm(),
            pass.epsilon()); // (B, T, E)
    NDArray activated =
        family.activation().apply(layer.gate().apply(y)).mul(layer.up().apply(y)); // (B, T, F)
    NDArray fed = layer.down().apply(activated); // (B, T, E)
    if (family.sandwichNorms()) {
      fed = rmsNorm(fed, layer.postFeedForwardNorm(), pass.epsilon());
    }
    return new NDArray[] {hidden.add(fed), attended[1]}; // (B, T, E), (B, H, T, T)
  }

  /**
   * The final norm, the LM head and the soft-cap: (B, T, E) to logits (B, T, V), computed on the
   * last layer's device and handed back on the device of {@code hidden}.
   */
  private NDArray head(NDArray hidden, Passes passes) {
    Pass pass = passes.last();
    NDArray onLast = to(hidden, placement.last());
    NDArray normed = rmsNorm(onLast, finalNorm, pass.epsilon()); // (B, T, E)
    NDArray logits = normed.matMul(lmHead.transpose()); // (B, T, V)
    if (finalCap != null) {
      logits = softCap(logits, to(hidden.getManager().create(finalCap), placement.last()));
    }
    return to(logits, hidden.getDevice());
  }

  /**
   * Layer {@code l} on {@code hidden} with {@code gate}, on the layer's device: the hidden states
   * it hands on stay there (the next layer moves them on), its probabilities come back to the first
   * device.
   */
  private NDArray[] placed(int l, Layer layer, NDArray hidden, NDArray gate, Passes passes) {
    return placed(l, layer, hidden, gate, passes, false);
  }

  /**
   * As above; for {@code inference} (no gradient, no probabilities read), a (1, H) gate of zeros
   * and ones runs only the heads at one — their query rows, the key/value heads they read, their
   * output columns — the arithmetic of the pruned model (a gated-off head adds zero either way);
   * the probabilities returned are then the kept heads'.
   */
  private NDArray[] placed(
      int l, Layer layer, NDArray hidden, NDArray gate, Passes passes, boolean inference) {
    Device device = placement.of(l);
    NDArray onDevice = to(hidden, device);
    int[] kept = inference ? Attention.keptHeads(gate) : null;
    NDArray[] out;
    if (kept == null) {
      out = layer(l, layer, onDevice, to(gate, device), passes.of(l));
    } else if (kept.length == layer.heads().length) {
      out = layer(l, layer, onDevice, null, passes.of(l));
    } else {
      Sliced sliced = sliced(layer, kept, onDevice.getManager());
      out = layer(l, sliced.layer(), onDevice, null, passes.of(l), sliced.groupOf());
    }
    out[1] = to(out[1], placement.first());
    return out;
  }

  /**
   * A layer cut to some of its heads, and which of its key/value heads each query head reads.
   *
   * @param layer the layer with only the kept heads' weights
   * @param groupOf per kept query head, the position of its key/value head in {@code layer}
   */
  private record Sliced(Layer layer, int[] groupOf) {}

  /**
   * {@code layer} with only the query heads at {@code positions}: their query rows (and biases),
   * the key/value heads they read, their output columns; on {@code scope} (freed with the batch's
   * layer pass).
   */
  private Sliced sliced(Layer layer, int[] positions, NDManager scope) {
    int d = config.headSize();
    int groups = layer.heads().length / keyValueHeads;
    List<Integer> used = new ArrayList<>();
    int[] groupOf = new int[positions.length];
    int[] ids = new int[positions.length];
    for (int i = 0; i < positions.length; i++) {
      int group = positions[i] / groups;
      if (used.isEmpty() || used.get(used.size() - 1) != group) {
        used.add(group);
      }
      groupOf[i] = used.size() - 1;
      ids[i] = layer.heads()[positions[i]];
    }
    int[] groupPositions = used.stream().mapToInt(Integer::intValue).toArray();
    return new Sliced(
        new Layer(
            ids,
            layer.inputNorm(),
            rows(layer.query(), positions, d, scope),
            rows(layer.key(), groupPositions, d, scope),
            rows(layer.value(), groupPositions, d, scope),
            new Dense(
                Attention.blocks(layer.output().weight(), positions, d, 1, scope),
                layer.output().bias()),
            layer.queryNorm(),
            layer.keyNorm(),
            layer.postAttentionNorm(),
            layer.preFeedForwardNorm(),
            layer.postFeedForwardNorm(),
            layer.gate(),
            layer.up(),
            layer.down()),
        groupOf);
  }

  /** The rows of the head blocks at {@code positions} of {@code dense}, and of its bias. */
  private static Dense rows(Dense dense, int[] positions, int size, NDManager scope) {
    return new Dense(
        Attention.blocks(dense.weight(), positions, size, 0, scope),
        dense.bias() == null ? null : Attention.blocks(dense.bias(), positions, size, 0, scope));
  }

  /**
   * Key or value heads (B, KV, T, D) per query head (B, H, T, D): each repeated {@code groups}
   * times, or, for a sliced layer, as {@code groupOf} says.
   */
  private static NDArray perHead(NDArray keysValues, int groups, int[] groupOf) {
    if (groupOf == null) {
      return keysValues.repeat(1, groups);
    }
    List<NDArray> parts = new ArrayList<>();
    for (int i = 0; i < groupOf.length; ) {
      int j = i;
      while (j + 1 < groupOf.length && groupOf[j + 1] == groupOf[i]) {
        j++;
      }
      NDArray group = keysValues.get(":, " + groupOf[i] + ":" + (groupOf[i] + 1)); // (B, 1, T, D)
      parts.add(j == i ? group : group.repeat(1, j - i + 1));
      i = j + 1;
    }
    return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 1);
  }

  /**
   * Inference one layer at a time, as {@link #logits} runs it, for a resident model (a streamed one
   * runs whole, each layer loaded once per batch): the logits at the end are (B, T, V).
   */
  @Override
  public Stages stages() {
    if (streamedFrom != null) {
      return null;
    }
    return new Stages() {
      @Override
      public Stage start(Batch batch) {
        return Stage.shared(embed(batch), new Passes(pass(batch))); // (B, T, E)
      }

      @Override
      public Stage next(Stage stage, NDArray gate) {
        int l = stage.layer;
        return stage.next(
            placed(l, layers.get(l), stage.hidden, gate, (Passes) stage.shared, true)[
                0]); // (B, T, E)
      }

      @Override
      public NDArray logits(Stage stage) {
        if (stage.layer != layers.size()) {
          throw new IllegalStateException(
              "logits after layer " + stage.layer + " of " + layers.size());
        }
        return head(stage.hidden, (Passes) stage.shared); // (B, T, V)
      }
    };
  }

  @Override
  public Output forward(Batch batch, List<NDArray> gates) {
    return run(batch, gates, true);
  }

  @Override
  public NDArray logits(Batch batch, List<NDArray> gates) {
    return run(batch, gates, false).logits();
  }

  /** The forward pass; streamed, the probabilities outlive their layer only when asked for. */
  private Output run(Batch batch, List<NDArray> gates, boolean probabilities) {
    NDManager scope = batch.inputIds().getManager();
    Passes passes = new Passes(pass(batch));
    NDArray hidden = embed(batch); // (B, T, E)
    List<NDArray> attentions = new ArrayList<>();
    Consumer<NDArray> contexts = Attention.CONTEXTS.get();
    try {
      for (int l = 0; l < layers.size(); l++) {
        NDArray gate = gates == null ? null : gates.get(l);
        if (streamedFrom == null) {
          handContexts(contexts, null);
          NDArray[] out = placed(l, layers.get(l), hidden, gate, passes, !probabilities);
          hidden = out[0];
          attentions.add(out[1]);
          continue;
        }
        // streamed: the layer's weights and what it computes live on a scope of its own, freed
        // when it is done; its output, probabilities and contexts move to the batch's manager
        try (NDManager layerScope = scope.newSubManager()) {
          handContexts(contexts, scope);
          NDArray[] out =
              placed(
                  l,
                  weights(l, layerScope),
                  Stage.view(hidden, layerScope),
                  gate,
                  passes,
                  !probabilities);
          out[0].attach(scope);
          hidden = out[0];
          if (probabilities) {
            out[1].attach(scope);
            attentions.add(out[1]);
          }
        }
      }
    } finally {
      if (contexts != null) {
        Attention.CONTEXTS.set(contexts);
      }
    }
    return new Output(head(hidden, passes), attentions);
  }

  /**
   * Hands the attention contexts a layer computes to {@code contexts} (when someone asked for them)
   * on the first device, attached to {@code scope} when it is not null.
   */
  private void handContexts(Consumer<NDArray> contexts, NDManager scope) {
    if (contexts == null || (scope == null && placement.devices().size() == 1)) {
      return;
    }
    Attention.CONTEXTS.set(
        context -> {
          NDArray moved = to(context, placement.first());
          if (scope != null) {
            moved.attach(scope);
          }
          contexts.accept(moved);
        });
  }

  @Override
  public Streaming streaming() {
    if (streamedFrom == null) {
      return null;
    }
    return batch -> {
      Passes passes = new Passes(pass(batch));
      return new Streaming.Run() {
        @Override
        public NDArray embeddings() {
          return embed(batch);
        }

        @Override
        public Streaming.Block load(int l, NDManager manager) {
          Layer layer = weights(l, manager);
          return (hidden, gate) -> {
            NDArray[] out = placed(l, layer, hidden, gate, passes);
            out[0] = to(out[0], hidden.getDevice());
            return out;
          };
        }

        @Override
        public NDArray logits(NDArray hidden) {
          return head(hidden, passes);
        }
      };
    };
  }

  /** tanh(x / c) · c. */
  private static NDArray softCap(NDArray x, NDArray cap) {
    return x.div(cap).tanh().mul(cap);
  }

  /**
   * weight · x / √(mean(x²) + eps) over the last axis (transformers: x · rsqrt(…), same to
   * rounding); Gemma's weight arrives as 1 + w.
   */
  private static NDArray rmsNorm(NDArray x, NDArray weight, NDArray epsilon) {
    NDArray variance = x.mul(x).mean(new int[] {-1}, true); // (…, 1)
    return x.div(variance.add(epsilon).sqrt()).mul(weight);
  }

  /** (B, T, N·D) to (B, N, T, D). */
  private static NDArray heads(NDArray projected, int count, int headSize) {
    Shape shape = projected.getShape();
    return projected.reshape(shape.get(0), shape.get(1), count, headSize).transpose(0, 2, 1, 3);
  }

  /** SiLU: x · sigmoid(x). */
  static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  /**
   * GELU with the tanh approximation (transformers' gelu_pytorch_tanh and gelu_new): 0.5 · x · (1 +
   * tanh(√(2/π) · (x + 0.044715 · x³))).
   */
  static NDArray geluTanh(NDArray x) {
    NDManager scope = x.getManager();
    NDArray inner =
        x.add(x.pow(scope.create(3f)).mul(scope.create(0.044715f)))
            .mul(scope.create((float) Math.sqrt(2 / Math.PI)));
    return x.mul(scope.create(0.5f)).mul(inner.tanh().add(scope.create(1f)));
  }

  @Override
  public NDArray outputWeight(int layer, NDManager scope) {
    if (streamedFrom == null) {
      NDArray weight = layers.get(layer).output().weight(); // (E, H·D)
      return placement.of(layer).equals(placement.first()) ? weight : onDevice(weight, scope);
    }
    long q = (long) config.attentionHeads() * config.headSize();
    Weights weights = new Weights(streamedFrom, scope, base(streamedFrom), scratch);
    String name = "layers." + layer + ".self_attn.o_proj";
    return projection(weights, name, config.hiddenSize(), q, false, config).weight(); // (E, H·D)
  }

  @Override
  public double[][] headWeightNorms() {
    int d = config.headSize();
    double[][] norms = new double[layers.size()][];
    for (int l = 0; l < layers.size(); l++) {
      int count = layers.get(l).heads().length;
      int groups = count / keyValueHeads;
      Matrix q;
      Matrix k;
      Matrix v;
      Matrix o;
      try (NDManager scope = manager().newSubManager()) {
        Layer layer = weights(l, scope);
        q = Matrix.of(layer.query().weight());
        k = Matrix.of(layer.key().weight());
        v = Matrix.of(layer.value().weight());
        o = Matrix.of(layer.output().weight());
      }
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
