package io.headprune.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ConfigValues;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import tools.jackson.databind.node.ObjectNode;

/**
 * GPT-2 (Hugging Face {@code GPT2LMHeadModel} / {@code GPT2ForSequenceClassification}, transformers
 * 4.x) in forward order: config keys, weight names, head layout, then token + position embeddings;
 * per block {@code h += c_proj(attention(c_attn(ln_1(h))))} with Conv1D weights stored [in, out]
 * and {@code c_attn}'s output columns [q | k | v], causal attention with a gate per example and
 * head; {@code h += mlp(ln_2(h))} with {@code gelu_new}; {@code ln_f}; the LM head tied to {@code
 * wte}, or the classifier {@code score} (no bias) on the last real token.
 *
 * <p>Shapes: B batch, T tokens, E hidden ({@code n_embd}), N heads of the layer, D head size, F
 * inner size, V vocabulary, C labels.
 */
public final class Gpt2 extends LoadedModel {

  /** GPT-2 as data. */
  public static final Architecture ARCHITECTURE =
      new Architecture(
          "gpt2",
          List.of("GPT2LMHeadModel", "GPT2ForSequenceClassification"),
          Architecture.Modality.TEXT,
          List.of(),
          Gpt2::config,
          Gpt2::layout,
          Architecture.PhysicalPruning.PRUNED_HEADS,
          Gpt2::load);

  private static final String BASE = "transformer.";

  private final NDArray tokenEmbeddings;
  private final NDArray positionEmbeddings;
  private final List<Block> blocks;
  private final Norm finalNorm;
  private final NDArray lmHead;
  private final NDArray classifier;
  private final boolean scaleAttention;
  private final boolean tanhGelu;

  /** A Conv1D layer: {@code x · W + b}, W stored [in, out]. */
  private record Conv1d(NDArray weight, NDArray bias) {

    NDArray apply(NDArray input) {
      return input.matMul(weight).add(bias);
    }

    static Conv1d load(Weights weights, String name, long in, long out) {
      return new Conv1d(weights.load(name + ".weight", in, out), weights.load(name + ".bias", out));
    }
  }

  private record Block(
      int[] heads,
      Norm before,
      Conv1d cAttn,
      Conv1d cProj,
      Norm after,
      Conv1d cFc,
      Conv1d mlpProj) {}

  private Gpt2(
      ModelConfig config,
      NDManager manager,
      NDArray tokenEmbeddings,
      NDArray positionEmbeddings,
      List<Block> blocks,
      Norm finalNorm,
      NDArray lmHead,
      NDArray classifier,
      long parameters) {
    super(config, manager, blocks.stream().map(Block::heads).toList(), parameters);
    this.tokenEmbeddings = tokenEmbeddings;
    this.positionEmbeddings = positionEmbeddings;
    this.blocks = List.copyOf(blocks);
    this.finalNorm = finalNorm;
    this.lmHead = lmHead;
    this.classifier = classifier;
    this.scaleAttention = config.raw().path("scale_attn_weights").asBoolean(true);
    this.tanhGelu = !"gelu".equals(config.raw().path("activation_function").asString("gelu_new"));
  }

  /**
   * GPT2Config's keys: n_embd, n_head, n_layer, n_positions, n_inner [4·n_embd], vocab_size,
   * activation_function (gelu_new, gelu_pytorch_tanh or gelu), layer_norm_epsilon [1e-5],
   * scale_attn_weights [true], tie_word_embeddings [true], pruned_heads; refuses
   * scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn and add_cross_attention.
   */
  static ModelConfig config(ObjectNode raw) {
    int[] widthAndHeads = ConfigValues.evenHeads(raw, "n_embd", "n_head");
    int hidden = widthAndHeads[0];
    int heads = widthAndHeads[1];
    int layers = ConfigValues.positive(raw, "n_layer", 1024);
    ConfigValues.positive(raw, "vocab_size", ConfigValues.MAX_VOCAB);
    ConfigValues.optionalPositive(raw, "n_inner", 4 * hidden, 4 * ConfigValues.MAX_DIMENSION);
    ConfigValues.oneOf(
        raw, "activation_function", "gelu_new", "gelu_new", "gelu_pytorch_tanh", "gelu");
    ConfigValues.optionalPositiveNumber(raw, "layer_norm_epsilon", 1e-5);
    ConfigValues.optionalBoolean(raw, "scale_attn_weights", true);
    ConfigValues.optionalBoolean(raw, "tie_word_embeddings", true);
    for (String flag :
        List.of(
            "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "add_cross_attention")) {
      if (ConfigValues.optionalBoolean(raw, flag, false)) {
        throw new UnsupportedModelException("config.json: " + flag + " true is not supported");
      }
    }
    String className = Models.className(raw, ARCHITECTURE);
    return new ModelConfig(
        className,
        "gpt2",
        hidden,
        layers,
        heads,
        heads,
        hidden / heads,
        ConfigValues.optionalPositive(raw, "n_positions", 1024, ConfigValues.MAX_DIMENSION),
        true,
        className.equals("GPT2LMHeadModel"),
        0,
        ConfigValues.labels(raw),
        ConfigValues.prunedHeads(raw, layers, heads),
        raw);
  }

  private static String base(Checkpoint checkpoint) {
    return checkpoint.tensors().containsKey(BASE + "wte.weight") ? BASE : "";
  }

  /** c_attn: [q | k | v] column blocks on axis 1 (bias: axis 0); c_proj: the heads' input rows. */
  static HeadLayout layout(Checkpoint checkpoint) {
    ModelConfig config = checkpoint.config();
    List<HeadLayout.LayerHeads> layers = new ArrayList<>();
    for (int l = 0; l < config.layers(); l++) {
      int[] heads = config.remainingHeads(l);
      int n = heads.length;
      String p = base(checkpoint) + "h." + l + ".attn.";
      List<HeadLayout.Block> qkv =
          List.of(
              new HeadLayout.Block(HeadLayout.Role.QUERY, n),
              new HeadLayout.Block(HeadLayout.Role.KEY, n),
              new HeadLayout.Block(HeadLayout.Role.VALUE, n));
      layers.add(
          new HeadLayout.LayerHeads(
              l,
              heads,
              n,
              config.headSize(),
              List.of(
                  new HeadLayout.Tensor(p + "c_attn.weight", 1, qkv),
                  new HeadLayout.Tensor(p + "c_attn.bias", 0, qkv),
                  new HeadLayout.Tensor(
                      p + "c_proj.weight",
                      0,
                      List.of(new HeadLayout.Block(HeadLayout.Role.OUTPUT, n))))));
    }
    return new HeadLayout(layers);
  }

  /** Loads a GPT-2 checkpoint onto {@code device}, checking every expected weight and shape. */
  static Gpt2 load(Checkpoint checkpoint, Device device) {
    ModelConfig config = checkpoint.config();
    ObjectNode raw = config.raw();
    return Devices.loading(
        device,
        manager -> {
          Weights weights = new Weights(checkpoint, manager, base(checkpoint));
          long e = config.hiddenSize();
          long inner = raw.path("n_inner").isIntegralNumber() ? raw.get("n_inner").asLong() : 4 * e;
          float eps = (float) ConfigValues.optionalPositiveNumber(raw, "layer_norm_epsilon", 1e-5);
          int vocab = raw.get("vocab_size").asInt();
          NDArray wte = weights.load("wte.weight", vocab, e);
          NDArray wpe = weights.load("wpe.weight", config.maxPositions(), e);
          List<Block> blocks = new ArrayList<>();
          for (int l = 0; l < config.layers(); l++) {
            String p = "h." + l + ".";
            int[] heads = config.remainingHeads(l);
            long width = (long) heads.length * config.headSize();
            String keys =
                " (from n_embd "
                    + e
                    + ", n_head "
                    + config.attentionHeads()
                    + ", n_inner "
                    + inner
                    + ")";
            blocks.add(
                new Block(
                    heads,
                    Norm.load(weights, p + "ln_1", e, eps),
                    named(() -> Conv1d.load(weights, p + "attn.c_attn", e, 3 * width), keys),
                    named(() -> Conv1d.load(weights, p + "attn.c_proj", width, e), keys),
                    Norm.load(weights, p + "ln_2", e, eps),
                    named(() -> Conv1d.load(weights, p + "mlp.c_fc", e, inner), keys),
                    named(() -> Conv1d.load(weights, p + "mlp.c_proj", inner, e), keys)));
          }
          Norm finalNorm = Norm.load(weights, "ln_f", e, eps);
          Weights head = new Weights(checkpoint, manager, "");
          NDArray lmHead = null;
          NDArray classifier = null;
          if (config.languageModel()) {
            boolean tied = raw.path("tie_word_embeddings").asBoolean(true);
            lmHead = tied ? wte : head.load("lm_head.weight", vocab, e);
          } else {
            if (base(checkpoint).isEmpty()) {
              throw new InvalidInputException(
                  "GPT2ForSequenceClassification checkpoint is missing weight 'transformer.wte.weight'");
            }
            classifier = head.load("score.weight", config.labels().count(), e);
          }
          return new Gpt2(
              config,
              manager,
              wte,
              wpe,
              blocks,
              finalNorm,
              lmHead,
              classifier,
              weights.parameters() + head.parameters());
        });
  }

  /** Loads a layer, naming the config keys its shape comes from when the checkpoint disagrees. */
  private static Conv1d named(Supplier<Conv1d> load, String keys) {
    try {
      return load.get();
    } catch (InvalidInputException e) {
      throw new InvalidInputException(e.getMessage() + keys);
    }
  }

  @Override
  public Output forward(Batch batch, List<NDArray> gates) {
    NDManager scope = batch.inputIds().getManager();
    int length = (int) batch.inputIds().getShape().get(1);
    if (length > config.maxPositions()) {
      throw new InvalidInputException(
          "sequence of " + length + " tokens exceeds n_positions " + config.maxPositions());
    }
    long size = batch.size();
    int headSize = config.headSize();
    NDArray sqrtHeadSize = scope.create((float) Math.sqrt(headSize));
    Gelu gelu = new Gelu(scope);

    // embeddings: tokens + positions 0 … T−1 (right padding only)
    NDArray positions = scope.arange(0, length, 1, DataType.INT64); // (T)
    NDArray hidden =
        Embedding.embedding(batch.inputIds(), tokenEmbeddings, SparseFormat.DENSE)
            .singletonOrThrow() // (B, T, E)
            .add(
                Embedding.embedding(positions, positionEmbeddings, SparseFormat.DENSE)
                    .singletonOrThrow());
    NDArray mask = Attention.causalMask(scope, batch.lengths(), length); // (B, 1, T, T)

    List<NDArray> attentions = new ArrayList<>();
    for (int l = 0; l < blocks.size(); l++) {
      Block block = blocks.get(l);
      int count = block.heads().length;
      long width = (long) count * headSize;

      // attention: c_attn → [q | k | v], causal softmax, gate, c_proj
      NDArray qkv = block.cAttn().apply(block.before().apply(hidden)); // (B, T, 3·N·D)
      NDArray q = heads(qkv.get(":, :, 0:" + width), count, headSize); // (B, N, T, D)
      NDArray k =
          heads(qkv.get(":, :, " + width + ":" + 2 * width), count, headSize); // (B, N, T, D)
      NDArray v = heads(qkv.get(":, :, " + 2 * width + ":"), count, headSize); // (B, N, T, D)
      NDArray[] attended =
          Attention.attend(
              q,
              k,
              v,
              scaleAttention ? s -> s.divi(sqrtHeadSize) : s -> s,
              mask,
              gates == null ? null : gates.get(l)); // (B, N, T, D), (B, N, T, T)
      NDArray context =
          attended[0].transpose(0, 2, 1, 3).reshape(size, length, width); // (B, T, N·D)
      hidden = hidden.add(block.cProj().apply(context)); // (B, T, E)
      attentions.add(attended[1]);

      // feed-forward: c_fc, GELU, c_proj
      NDArray inner = block.cFc().apply(block.after().apply(hidden)); // (B, T, F)
      hidden =
          hidden.add(
              block.mlpProj().apply(tanhGelu ? gelu.tanh(inner) : gelu.erf(inner))); // (B, T, E)
    }
    hidden = finalNorm.apply(hidden); // (B, T, E)

    if (lmHead != null) {
      return new Output(hidden.matMul(lmHead.transpose()), attentions); // (B, T, V)
    }
    NDArray last = lastToken(scope, batch.lengths(), length); // (B, T, 1)
    NDArray pooled = hidden.mul(last).sum(new int[] {1}); // (B, E)
    return new Output(pooled.matMul(classifier.transpose()), attentions); // (B, C)
  }

  @Override
  public NDArray outputWeight(int layer, NDManager scope) {
    NDArray transposed =
        blocks.get(layer).cProj().weight().transpose(); // Conv1D (N·D, E) → (E, N·D)
    transposed.attach(scope);
    return transposed;
  }

  @Override
  public double[][] headWeightNorms() {
    int d = config.headSize();
    double[][] norms = new double[blocks.size()][];
    for (int l = 0; l < blocks.size(); l++) {
      Block block = blocks.get(l);
      int count = block.heads().length;
      norms[l] = new double[count];
      Matrix projection = Matrix.of(block.cProj().weight());
      Matrix qkv = Matrix.of(block.cAttn().weight());
      for (int h = 0; h < count; h++) {
        double sum = squares(projection, 0, (long) h * d, d); // the head's input rows of c_proj
        for (int part = 0; part < 3; part++) {
          sum +=
              squares(qkv, 1, (long) part * count * d + (long) h * d, d); // its q, k and v columns
        }
        norms[l][h] = Math.sqrt(sum);
      }
    }
    return norms;
  }

  /** (B, T, N·D) to (B, N, T, D). */
  private static NDArray heads(NDArray projected, int count, int headSize) {
    Shape shape = projected.getShape();
    return projected.reshape(shape.get(0), shape.get(1), count, headSize).transpose(0, 2, 1, 3);
  }

  /** A one-hot (B, T, 1) selector of each row's last real token, n − 1. */
  static NDArray lastToken(NDManager scope, int[] lengths, int tokens) {
    float[] selector = new float[lengths.length * tokens];
    for (int b = 0; b < lengths.length; b++) {
      selector[b * tokens + lengths[b] - 1] = 1f;
    }
    return scope.create(selector, new Shape(lengths.length, tokens, 1));
  }

  /** GELU variants, their scalars on the batch's manager (autograd keeps them). */
  private record Gelu(
      NDArray half, NDArray one, NDArray sqrtTwo, NDArray sqrtTwoOverPi, NDArray cubic) {

    Gelu(NDManager scope) {
      this(
          scope.create(0.5f),
          scope.create(1f),
          scope.create((float) Math.sqrt(2.0)),
          scope.create((float) Math.sqrt(2.0 / Math.PI)),
          scope.create(0.044715f));
    }

    /** gelu_new: 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))). */
    NDArray tanh(NDArray x) {
      NDArray cube = x.mul(x).mul(x);
      return x.mul(half).mul(x.add(cube.mul(cubic)).mul(sqrtTwoOverPi).tanh().add(one));
    }

    /** gelu: 0.5 · x · (1 + erf(x / √2)). */
    NDArray erf(NDArray x) {
      return x.mul(half).mul(x.div(sqrtTwo).erf().add(one));
    }
  }
}
