package io.headprune.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ConfigValues;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * The text classifier of the BERT lineage, parameterised by a {@link TextEncoderFamily}: embeddings
 * (word + token type + position, LayerNorm, optionally projected to the hidden width), post-
 * LayerNorm {@link EncoderLayer}s with head gates (the loop over them in {@link EncoderModel}), and
 * a head on the first token, {@code second(activation(first(h₀)))}. Eval mode (no dropout), erf
 * GELU. Layers may have different head counts (a checkpoint whose config carries {@code
 * pruned_heads}).
 *
 * <p>Shapes: B batch, T tokens, W embedding width, E hidden, C labels.
 */
final class TextEncoder extends EncoderModel {

  private final TextEncoderFamily family;
  private final Embeddings embeddings;
  private final List<EncoderLayer> layers;
  private final Dense first;
  private final Dense second;

  private record Embeddings(
      NDArray word, NDArray position, NDArray tokenType, Norm norm, Dense projection) {}

  private TextEncoder(
      TextEncoderFamily family,
      ModelConfig config,
      NDManager manager,
      Embeddings embeddings,
      List<EncoderLayer> layers,
      Dense first,
      Dense second,
      long parameters) {
    super(config, manager, layers.stream().map(EncoderLayer::attention).toList(), parameters);
    this.family = family;
    this.embeddings = embeddings;
    this.layers = List.copyOf(layers);
    this.first = first;
    this.second = second;
  }

  /** The family as the data the rest of headprune reads. */
  static Architecture architecture(TextEncoderFamily family) {
    return new Architecture(
        family.modelType(),
        family.classNames(),
        Architecture.Modality.TEXT,
        List.of(),
        family.config(),
        checkpoint ->
            EncoderLayer.layout(base(checkpoint, family), checkpoint.config(), family.names()),
        Architecture.PhysicalPruning.PRUNED_HEADS,
        (checkpoint, device) -> load(checkpoint, device, family));
  }

  /** The base prefix when the checkpoint is a task model, "" for a bare one. */
  private static String base(Checkpoint checkpoint, TextEncoderFamily family) {
    String prefix = family.base();
    return checkpoint.tensors().containsKey(prefix + "embeddings.word_embeddings.weight")
        ? prefix
        : "";
  }

  /** Loads a checkpoint of the family onto {@code device}, checking every weight and shape. */
  static TextEncoder load(Checkpoint checkpoint, Device device, TextEncoderFamily family) {
    ModelConfig config = checkpoint.config();
    ObjectNode raw = config.raw();
    String prefix = base(checkpoint, family);
    return Devices.loading(
        device,
        manager -> {
          Weights weights = new Weights(checkpoint, manager, prefix);
          long e = config.hiddenSize();
          long w =
              family.embeddingSizeKey() == null
                  ? e
                  : ConfigValues.optionalPositive(
                      raw, family.embeddingSizeKey(), 128, ConfigValues.MAX_DIMENSION);
          float eps =
              family.epsKey() == null
                  ? 1e-12f
                  : (float) ConfigValues.optionalPositiveNumber(raw, family.epsKey(), 1e-12);
          Embeddings embeddings =
              new Embeddings(
                  weights.load(
                      "embeddings.word_embeddings.weight", raw.get("vocab_size").asInt(), w),
                  weights.load("embeddings.position_embeddings.weight", config.maxPositions(), w),
                  family.tokenTypes()
                      ? weights.load(
                          "embeddings.token_type_embeddings.weight",
                          raw.path("type_vocab_size").asInt(2),
                          w)
                      : null,
                  Norm.load(weights, "embeddings.LayerNorm", w, eps),
                  w == e ? null : Dense.load(weights, "embeddings_project", e, w));
          List<EncoderLayer> layers = new ArrayList<>();
          int intermediate = raw.get(family.intermediateKey()).asInt();
          for (int l = 0; l < config.layers(); l++) {
            layers.add(EncoderLayer.load(weights, config, l, family.names(), intermediate, eps));
          }
          TextEncoderFamily.Head head = family.head();
          if (!config.hasTaskHead()) {
            boolean pooler = head.firstUnderBase() && weights.has(head.first() + ".weight");
            Dense first = pooler ? Dense.load(weights, head.first(), e, e) : null;
            return new TextEncoder(
                family, config, manager, embeddings, layers, first, null, weights.parameters());
          }
          if (prefix.isEmpty()) {
            throw new InvalidInputException(
                config.architecture()
                    + " checkpoint is missing weight '"
                    + family.base()
                    + "embeddings.word_embeddings.weight'");
          }
          Weights top = new Weights(checkpoint, manager, "");
          Dense first = Dense.load(head.firstUnderBase() ? weights : top, head.first(), e, e);
          Dense second = Dense.load(top, head.second(), config.labels().count(), e);
          return new TextEncoder(
              family,
              config,
              manager,
              embeddings,
              layers,
              first,
              second,
              weights.parameters() + top.parameters());
        });
  }

  @Override
  NDArray embed(Batch batch) {
    if (second == null) {
      throw new InvalidInputException(
          family.classNames().get(1)
              + " has no task head; headprune scores and evaluates "
              + family.classNames().get(0)
              + " checkpoints");
    }
    NDManager scope = batch.inputIds().getManager();
    long length = batch.inputIds().getShape().get(1);
    int padding = config.padTokenId();
    boolean afterPadding = family.positions() == TextEncoderFamily.Positions.AFTER_PADDING;
    long needed = afterPadding ? length + padding + 1 : length;
    if (needed > config.maxPositions()) {
      throw new InvalidInputException(
          "sequence of "
              + length
              + " tokens exceeds max_position_embeddings "
              + config.maxPositions()
              + (afterPadding
                  ? " (positions start at pad_token_id + 1 = " + (padding + 1) + ")"
                  : ""));
    }
    NDArray positions; // (T) or (B, T)
    if (afterPadding) {
      // padding_idx + 1, + 2, … for real tokens, padding_idx for padding
      NDArray real = batch.inputIds().neq(padding).toType(DataType.INT64, false); // (B, T)
      positions = real.cumSum(1).mul(real).add(padding); // (B, T)
    } else {
      positions = scope.arange(0, (int) length, 1, DataType.INT64); // (T)
    }
    NDArray hidden =
        Embedding.embedding(batch.inputIds(), embeddings.word(), SparseFormat.DENSE)
            .singletonOrThrow(); // (B, T, W)
    if (embeddings.tokenType() != null) {
      hidden =
          hidden.add(
              Embedding.embedding(batch.typeIds(), embeddings.tokenType(), SparseFormat.DENSE)
                  .singletonOrThrow());
    }
    hidden =
        hidden.add(
            Embedding.embedding(positions, embeddings.position(), SparseFormat.DENSE)
                .singletonOrThrow()); // (B, T, W)
    hidden = embeddings.norm().apply(hidden); // (B, T, W)
    return embeddings.projection() == null
        ? hidden
        : embeddings.projection().apply(hidden); // (B, T, E)
  }

  @Override
  NDArray keyMask(Batch batch) {
    return EncoderLayer.keyMask(batch.attentionMask()); // (B, 1, 1, T)
  }

  @Override
  NDArray[] layer(
      int l,
      NDArray hidden,
      NDArray keyMask,
      NDArray gate,
      Attention.Constants constants,
      Attention.Need need) {
    return layers.get(l).forward(hidden, keyMask, gate, constants, need);
  }

  /** The head on the first token: second(activation(first(h₀))). */
  @Override
  NDArray head(NDArray last) {
    NDArray hidden = first.apply(last.get(":, 0, :")); // (B, E)
    return second.apply(family.head().activation().apply(hidden)); // (B, C)
  }
}
