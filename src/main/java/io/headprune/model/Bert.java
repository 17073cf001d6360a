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
 * BERT (Hugging Face {@code BertModel} / {@code BertForSequenceClassification}) in forward order:
 * config keys, weight names, head layout, then embeddings, encoder layers (self-attention with head
 * gates, attention output, feed-forward; {@link EncoderLayer}), pooler, classifier. Eval mode (no
 * dropout), erf GELU, absolute positions. Layers may have different head counts (a checkpoint whose
 * config carries {@code pruned_heads}).
 *
 * <p>Shapes: B batch, T tokens, E hidden, C labels.
 */
public final class Bert extends TextEncoder {

  /** BERT as data. */
  public static final Architecture ARCHITECTURE =
      new Architecture(
          "bert",
          List.of("BertForSequenceClassification", "BertModel"),
          Architecture.Modality.TEXT,
          List.of(),
          raw -> config(raw, "bert", 0),
          Bert::layout,
          Architecture.PhysicalPruning.PRUNED_HEADS,
          Bert::load);

  /** Weight names of a layer, under {@code [bert.]encoder.layer.<l>.}. */
  static final EncoderLayer.Names NAMES =
      new EncoderLayer.Names(
          "encoder.layer",
          "attention.self.query",
          "attention.self.key",
          "attention.self.value",
          "attention.output.dense",
          "attention.output.LayerNorm",
          "intermediate.dense",
          "output.dense",
          "output.LayerNorm");

  private static final String BASE = "bert.";

  private final Embeddings embeddings;
  private final Dense pooler;
  private final Dense classifier;

  private record Embeddings(NDArray word, NDArray position, NDArray tokenType, Norm norm) {}

  private Bert(
      ModelConfig config,
      NDManager manager,
      Embeddings embeddings,
      List<EncoderLayer> layers,
      Dense pooler,
      Dense classifier,
      long parameters) {
    super(config, manager, layers, parameters);
    this.embeddings = embeddings;
    this.pooler = pooler;
    this.classifier = classifier;
  }

  /**
   * BertConfig's keys (RobertaConfig is the same class): hidden_size, num_attention_heads,
   * num_hidden_layers, intermediate_size, vocab_size, max_position_embeddings, type_vocab_size,
   * layer_norm_eps, pad_token_id; refuses activations other than erf GELU and relative positions.
   */
  static ModelConfig config(ObjectNode raw, String modelType, int defaultPad) {
    int[] widthAndHeads = ConfigValues.evenHeads(raw, "hidden_size", "num_attention_heads");
    int hidden = widthAndHeads[0];
    int heads = widthAndHeads[1];
    int layers = ConfigValues.positive(raw, "num_hidden_layers", 1024);
    ConfigValues.oneOf(raw, "hidden_act", "gelu", "gelu");
    ConfigValues.oneOf(raw, "position_embedding_type", "absolute", "absolute");
    ConfigValues.positive(raw, "vocab_size", ConfigValues.MAX_VOCAB);
    ConfigValues.positive(raw, "intermediate_size", 4 * ConfigValues.MAX_DIMENSION);
    ConfigValues.optionalPositive(raw, "type_vocab_size", 2, 1024);
    return new ModelConfig(
        Models.className(raw, Models.architecture(raw)),
        modelType,
        hidden,
        layers,
        heads,
        heads,
        hidden / heads,
        ConfigValues.positive(raw, "max_position_embeddings", ConfigValues.MAX_DIMENSION),
        false,
        false,
        raw.path("pad_token_id").asInt(defaultPad),
        ConfigValues.labels(raw),
        ConfigValues.prunedHeads(raw, layers, heads),
        raw);
  }

  private static String base(Checkpoint checkpoint) {
    return checkpoint.tensors().containsKey(BASE + "embeddings.word_embeddings.weight") ? BASE : "";
  }

  static HeadLayout layout(Checkpoint checkpoint) {
    return EncoderLayer.layout(base(checkpoint), checkpoint.config(), NAMES);
  }

  /** Loads a BERT checkpoint onto {@code device}, checking every expected weight and shape. */
  static Bert load(Checkpoint checkpoint, Device device) {
    ModelConfig config = checkpoint.config();
    ObjectNode raw = config.raw();
    boolean prefixed = !base(checkpoint).isEmpty();
    return Devices.loading(
        device,
        manager -> {
          Weights weights = new Weights(checkpoint, manager, base(checkpoint));
          long e = config.hiddenSize();
          float eps = (float) ConfigValues.optionalPositiveNumber(raw, "layer_norm_eps", 1e-12);
          int intermediate = raw.get("intermediate_size").asInt();
          Embeddings embeddings =
              new Embeddings(
                  weights.load(
                      "embeddings.word_embeddings.weight", raw.get("vocab_size").asInt(), e),
                  weights.load("embeddings.position_embeddings.weight", config.maxPositions(), e),
                  weights.load(
                      "embeddings.token_type_embeddings.weight",
                      raw.path("type_vocab_size").asInt(2),
                      e),
                  Norm.load(weights, "embeddings.LayerNorm", e, eps));
          List<EncoderLayer> layers = new ArrayList<>();
          for (int l = 0; l < config.layers(); l++) {
            layers.add(EncoderLayer.load(weights, config, l, NAMES, intermediate, eps));
          }
          Dense pooler =
              weights.has("pooler.dense.weight") ? Dense.load(weights, "pooler.dense", e, e) : null;
          if (!config.hasTaskHead()) {
            return new Bert(
                config, manager, embeddings, layers, pooler, null, weights.parameters());
          }
          if (!prefixed) {
            throw new InvalidInputException(
                "BertForSequenceClassification checkpoint is missing weight 'bert.embeddings.word_embeddings.weight'");
          }
          if (pooler == null) {
            throw new InvalidInputException(
                "checkpoint is missing weight 'bert.pooler.dense.weight'");
          }
          Weights head = new Weights(checkpoint, manager, "");
          Dense classifier = Dense.load(head, "classifier", config.labels().count(), e);
          return new Bert(
              config,
              manager,
              embeddings,
              layers,
              pooler,
              classifier,
              weights.parameters() + head.parameters());
        });
  }

  @Override
  NDArray embed(Batch batch) {
    if (classifier == null) {
      throw new InvalidInputException(
          "BertModel has no task head; headprune scores and evaluates BertForSequenceClassification checkpoints");
    }
    NDManager scope = batch.inputIds().getManager();
    long length = batch.inputIds().getShape().get(1);
    if (length > config.maxPositions()) {
      throw new InvalidInputException(
          "sequence of "
              + length
              + " tokens exceeds max_position_embeddings "
              + config.maxPositions());
    }

    // embeddings: word + token type + position (0 … T−1), LayerNorm
    NDArray positions = scope.arange(0, (int) length, 1, DataType.INT64); // (T)
    NDArray hidden =
        Embedding.embedding(batch.inputIds(), embeddings.word(), SparseFormat.DENSE)
            .singletonOrThrow() // (B, T, E)
            .add(
                Embedding.embedding(batch.typeIds(), embeddings.tokenType(), SparseFormat.DENSE)
                    .singletonOrThrow())
            .add(
                Embedding.embedding(positions, embeddings.position(), SparseFormat.DENSE)
                    .singletonOrThrow());
    return embeddings.norm().apply(hidden); // (B, T, E)
  }

  /** Pooler: tanh(dense(first token)); classifier. */
  @Override
  NDArray classify(NDArray first) {
    NDArray pooled = pooler.apply(first).tanh(); // (B, E)
    return classifier.apply(pooled); // (B, C)
  }
}
