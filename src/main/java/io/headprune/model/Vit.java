package io.headprune.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ConfigValues;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * ViT (Hugging Face {@code ViTModel} / {@code ViTForImageClassification}) in forward order: config
 * keys, weight names, head layout, then the patch embedding (a convolution with kernel = stride =
 * patch size, patches flattened row-major), the CLS token prepended at index 0 and the position
 * embeddings added (no LayerNorm, no interpolation: the image must be {@code image_size});
 * pre-LayerNorm layers {@code x += attention(layernorm_before(x))}, {@code x +=
 * output(gelu(intermediate(layernorm_after(x))))}; the final {@code vit.layernorm}; the classifier
 * on the CLS row.
 *
 * <p>Shapes: B batch, C channels, S image size, P patches, T = P + 1 tokens, E hidden, F
 * feed-forward, L labels.
 */
public final class Vit extends EncoderModel {

  /** ViT as data. */
  public static final Architecture ARCHITECTURE =
      new Architecture(
          "vit",
          List.of("ViTForImageClassification", "ViTModel"),
          Architecture.Modality.IMAGE,
          List.of("ViTImageProcessor", "ViTImageProcessorFast", "ViTFeatureExtractor"),
          Vit::config,
          Vit::layout,
          Architecture.PhysicalPruning.PRUNED_HEADS,
          Vit::load);

  private static final String BASE = "vit.";

  private static final String LAYERS = "encoder.layer.";

  private final Embeddings embeddings;
  private final List<Layer> layers;
  private final Norm finalNorm;
  private final Dense classifier;
  private final int imageSize;
  private final int patchSize;

  private record Embeddings(
      NDArray cls, NDArray positions, NDArray patchWeight, NDArray patchBias) {}

  /** One pre-LayerNorm block. */
  private record Layer(
      Norm before, Attention attention, Norm after, Dense intermediate, Dense output) {}

  private Vit(
      ModelConfig config,
      NDManager manager,
      Embeddings embeddings,
      List<Layer> layers,
      Norm finalNorm,
      Dense classifier,
      long parameters) {
    super(config, manager, layers.stream().map(Layer::attention).toList(), parameters);
    this.embeddings = embeddings;
    this.layers = List.copyOf(layers);
    this.finalNorm = finalNorm;
    this.classifier = classifier;
    this.imageSize = config.raw().path("image_size").asInt(224);
    this.patchSize = config.raw().path("patch_size").asInt(16);
  }

  /**
   * ViTConfig's keys: hidden_size, num_attention_heads, num_hidden_layers, intermediate_size,
   * image_size [224], patch_size [16], num_channels [3], qkv_bias [true], layer_norm_eps [1e-12],
   * hidden_act (erf GELU only).
   */
  static ModelConfig config(ObjectNode raw) {
    int[] widthAndHeads = ConfigValues.evenHeads(raw, "hidden_size", "num_attention_heads");
    int hidden = widthAndHeads[0];
    int heads = widthAndHeads[1];
    int layers = ConfigValues.positive(raw, "num_hidden_layers", 1024);
    ConfigValues.oneOf(raw, "hidden_act", "gelu", "gelu");
    ConfigValues.positive(raw, "intermediate_size", 4 * ConfigValues.MAX_DIMENSION);
    ConfigValues.optionalBoolean(raw, "qkv_bias", true);
    ConfigValues.optionalPositiveNumber(raw, "layer_norm_eps", 1e-12);
    int image = ConfigValues.optionalPositive(raw, "image_size", 224, 8192);
    int patch = ConfigValues.optionalPositive(raw, "patch_size", 16, 8192);
    int channels = ConfigValues.optionalPositive(raw, "num_channels", 3, 3);
    if (channels != 3) {
      throw new InvalidInputException(
          "config.json: num_channels " + channels + " is not supported (RGB, 3)");
    }
    if (patch > image) {
      throw new InvalidInputException(
          "config.json: patch_size " + patch + " is larger than image_size " + image);
    }
    int grid = image / patch;
    return new ModelConfig(
        Models.className(raw, ARCHITECTURE),
        "vit",
        hidden,
        layers,
        heads,
        heads,
        hidden / heads,
        grid * grid + 1,
        false,
        false,
        0,
        ConfigValues.labels(raw),
        ConfigValues.prunedHeads(raw, layers, heads),
        raw);
  }

  private static String base(Checkpoint checkpoint) {
    return checkpoint.tensors().containsKey(BASE + "embeddings.cls_token") ? BASE : "";
  }

  private static boolean qkvBias(ModelConfig config) {
    return config.raw().path("qkv_bias").asBoolean(true);
  }

  /** Weight names of layer {@code l}, under {@code [vit.]encoder.layer.<l>.}. */
  static HeadLayout layout(Checkpoint checkpoint) {
    ModelConfig config = checkpoint.config();
    List<HeadLayout.LayerHeads> layers = new ArrayList<>();
    for (int l = 0; l < config.layers(); l++) {
      String p = base(checkpoint) + LAYERS + l + ".";
      layers.add(
          HeadLayout.separateProjections(
              l,
              config.remainingHeads(l),
              config.headSize(),
              p + "attention.attention.query",
              p + "attention.attention.key",
              p + "attention.attention.value",
              p + "attention.output.dense",
              qkvBias(config)));
    }
    return new HeadLayout(layers);
  }

  /** Loads a ViT checkpoint onto {@code device}, checking every expected weight and shape. */
  static Vit load(Checkpoint checkpoint, Device device) {
    ModelConfig config = checkpoint.config();
    ObjectNode raw = config.raw();
    return Devices.loading(
        device,
        manager -> {
          Weights weights = new Weights(checkpoint, manager, base(checkpoint));
          long e = config.hiddenSize();
          int patch = raw.path("patch_size").asInt(16);
          int ffn = raw.get("intermediate_size").asInt();
          float eps = (float) ConfigValues.optionalPositiveNumber(raw, "layer_norm_eps", 1e-12);
          Embeddings embeddings =
              new Embeddings(
                  weights.load("embeddings.cls_token", 1, 1, e),
                  weights.load("embeddings.position_embeddings", 1, config.maxPositions(), e),
                  weights.load("embeddings.patch_embeddings.projection.weight", e, 3, patch, patch),
                  weights.load("embeddings.patch_embeddings.projection.bias", e));
          List<Layer> layers = new ArrayList<>();
          for (int l = 0; l < config.layers(); l++) {
            String p = LAYERS + l + ".";
            layers.add(
                new Layer(
                    Norm.load(weights, p + "layernorm_before", e, eps),
                    Attention.load(
                        weights,
                        p + "attention.attention.query",
                        p + "attention.attention.key",
                        p + "attention.attention.value",
                        p + "attention.output.dense",
                        config.remainingHeads(l),
                        config.headSize(),
                        e,
                        qkvBias(config)),
                    Norm.load(weights, p + "layernorm_after", e, eps),
                    Dense.load(weights, p + "intermediate.dense", ffn, e),
                    Dense.load(weights, p + "output.dense", e, ffn)));
          }
          Norm finalNorm = Norm.load(weights, "layernorm", e, eps);
          if (!config.hasTaskHead()) {
            return new Vit(
                config, manager, embeddings, layers, finalNorm, null, weights.parameters());
          }
          if (base(checkpoint).isEmpty()) {
            throw new InvalidInputException(
                "ViTForImageClassification checkpoint is missing weight 'vit.embeddings.cls_token'");
          }
          Weights head = new Weights(checkpoint, manager, "");
          Dense classifier = Dense.load(head, "classifier", config.labels().count(), e);
          return new Vit(
              config,
              manager,
              embeddings,
              layers,
              finalNorm,
              classifier,
              weights.parameters() + head.parameters());
        });
  }

  /** The hidden states entering the first layer (B, T, E): patches, CLS first, positions. */
  @Override
  NDArray embed(Batch batch) {
    if (classifier == null) {
      throw new InvalidInputException(
          "ViTModel has no task head; headprune scores and evaluates ViTForImageClassification checkpoints");
    }
    NDArray pixels = batch.pixelValues(); // (B, C, S, S)
    if (pixels == null) {
      throw new InvalidInputException("a ViT takes images; this dataset has text");
    }
    Shape shape = pixels.getShape();
    if (shape.get(2) != imageSize || shape.get(3) != imageSize) {
      throw new InvalidInputException(
          "images are "
              + shape.get(3)
              + " × "
              + shape.get(2)
              + " but the model's "
              + "image_size is "
              + imageSize
              + " (position embeddings are not interpolated): set the processor's size to "
              + imageSize);
    }
    long size = shape.get(0);
    long hiddenSize = config.hiddenSize();

    // embeddings: patches by a strided convolution, CLS first, then positions
    NDArray patches =
        Conv2d.conv2d(
                pixels,
                embeddings.patchWeight(),
                embeddings.patchBias(),
                new Shape(patchSize, patchSize))
            .singletonOrThrow(); // (B, E, S/p, S/p)
    patches = patches.reshape(size, hiddenSize, -1).transpose(0, 2, 1); // (B, P, E)
    NDArray cls = embeddings.cls().broadcast(new Shape(size, 1, hiddenSize)); // (B, 1, E)
    return NDArrays.concat(new NDList(cls, patches), 1).add(embeddings.positions()); // (B, T, E)
  }

  /**
   * Pre-LayerNorm layer {@code l} on {@code hidden} (B, T, E) (images have no padding: no key
   * mask): its output (B, R, E) and its attention probabilities (B, N, T, T) if {@code need} asks.
   */
  @Override
  NDArray[] layer(
      int l,
      NDArray hidden,
      NDArray keyMask,
      NDArray gate,
      Attention.Constants constants,
      Attention.Need need) {
    Layer layer = layers.get(l);
    NDArray[] attended =
        layer
            .attention()
            .forward(
                layer.before().apply(hidden),
                keyMask,
                gate,
                constants,
                need); // (B, R, E), (B, N, T, T)
    NDArray residual = need.firstRowOnly() ? hidden.get(":, :1, :") : hidden;
    NDArray out = attended[0].add(residual); // (B, R, E)
    NDArray inner =
        Attention.gelu(layer.intermediate().apply(layer.after().apply(out))); // (B, R, F)
    return new NDArray[] {layer.output().apply(inner).add(out), attended[1]}; // (B, R, E)
  }

  /** Final LayerNorm, classifier on the CLS row: (B, R, E) to (B, L). */
  @Override
  NDArray head(NDArray last) {
    return classifier.apply(finalNorm.apply(last).get(":, 0, :"));
  }
}
