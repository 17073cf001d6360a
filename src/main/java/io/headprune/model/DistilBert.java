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
 * DistilBERT (Hugging Face {@code DistilBertModel} / {@code DistilBertForSequenceClassification})
 * in forward order: word and position embeddings (no token types), the post-LayerNorm transformer
 * blocks ({@link EncoderLayer} with DistilBERT's weight names: q_lin, k_lin, v_lin, out_lin,
 * sa_layer_norm, ffn.lin1, ffn.lin2, output_layer_norm), and the head on the first token: {@code
 * classifier(relu(pre_classifier(h₀)))}.
 *
 * <p>Shapes: B batch, T tokens, E hidden (config {@code dim}), C labels.
 */
public final class DistilBert extends TextEncoder {

  /** DistilBERT as data. */
  public static final Architecture ARCHITECTURE =
      new Architecture(
          "distilbert",
          List.of("DistilBertForSequenceClassification", "DistilBertModel"),
          Architecture.Modality.TEXT,
          List.of(),
          DistilBert::config,
          DistilBert::layout,
          Architecture.PhysicalPruning.PRUNED_HEADS,
          DistilBert::load);

  /** Weight names of a block, under {@code [distilbert.]transformer.layer.<l>.}. */
  private static final EncoderLayer.Names NAMES =
      new EncoderLayer.Names(
          "transformer.layer",
          "attention.q_lin",
          "attention.k_lin",
          "attention.v_lin",
          "attention.out_lin",
          "sa_layer_norm",
          "ffn.lin1",
          "ffn.lin2",
          "output_layer_norm");

  private static final String BASE = "distilbert.";

  /** DistilBERT's LayerNorms use nn.LayerNorm(eps=1e-12); the config has no key for it. */
  private static final float EPS = 1e-12f;

  private final NDArray wordEmbeddings;
  private final NDArray positionEmbeddings;
  private final Norm embeddingNorm;
  private final Dense preClassifier;
  private final Dense classifier;

  private DistilBert(
      ModelConfig config,
      NDManager manager,
      NDArray wordEmbeddings,
      NDArray positionEmbeddings,
      Norm embeddingNorm,
      List<EncoderLayer> layers,
      Dense preClassifier,
      Dense classifier,
      long parameters) {
    super(config, manager, layers, parameters);
    this.wordEmbeddings = wordEmbeddings;
    this.positionEmbeddings = positionEmbeddings;
    this.embeddingNorm = embeddingNorm;
    this.preClassifier = preClassifier;
    this.classifier = classifier;
  }

  /**
   * DistilBertConfig's keys: dim, n_heads, n_layers, hidden_dim, vocab_size,
   * max_position_embeddings, activation (gelu only), pad_token_id.
   */
  static ModelConfig config(ObjectNode raw) {
    int[] widthAndHeads = ConfigValues.evenHeads(raw, "dim", "n_heads");
    int hidden = widthAndHeads[0];
    int heads = widthAndHeads[1];
    int layers = ConfigValues.positive(raw, "n_layers", 1024);
    ConfigValues.oneOf(raw, "activation", "gelu", "gelu");
    ConfigValues.positive(raw, "vocab_size", ConfigValues.MAX_VOCAB);
    ConfigValues.positive(raw, "hidden_dim", 4 * ConfigValues.MAX_DIMENSION);
    return new ModelConfig(
        Models.className(raw, ARCHITECTURE),
        "distilbert",
        hidden,
        layers,
        heads,
        heads,
        hidden / heads,
        ConfigValues.positive(raw, "max_position_embeddings", ConfigValues.MAX_DIMENSION),
        false,
        false,
        raw.path("pad_token_id").asInt(0),
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

  /**
   * Loads a DistilBERT checkpoint onto {@code device}, checking every expected weight and shape.
   */
  static DistilBert load(Checkpoint checkpoint, Device device) {
    ModelConfig config = checkpoint.config();
    ObjectNode raw = config.raw();
    boolean prefixed = !base(checkpoint).isEmpty();
    return Devices.loading(
        device,
        manager -> {
          Weights weights = new Weights(checkpoint, manager, base(checkpoint));
          long e = config.hiddenSize();
          NDArray word =
              weights.load("embeddings.word_embeddings.weight", raw.get("vocab_size").asInt(), e);
          NDArray position =
              weights.load("embeddings.position_embeddings.weight", config.maxPositions(), e);
          Norm norm = Norm.load(weights, "embeddings.LayerNorm", e, EPS);
          List<EncoderLayer> layers = new ArrayList<>();
          for (int l = 0; l < config.layers(); l++) {
            layers.add(
                EncoderLayer.load(weights, config, l, NAMES, raw.get("hidden_dim").asInt(), EPS));
          }
          if (!config.hasTaskHead()) {
            return new DistilBert(
                config, manager, word, position, norm, layers, null, null, weights.parameters());
          }
          if (!prefixed) {
            throw new InvalidInputException(
                "DistilBertForSequenceClassification checkpoint is missing weight "
                    + "'distilbert.embeddings.word_embeddings.weight'");
          }
          Weights head = new Weights(checkpoint, manager, "");
          Dense pre = Dense.load(head, "pre_classifier", e, e);
          Dense out = Dense.load(head, "classifier", config.labels().count(), e);
          return new DistilBert(
              config,
              manager,
              word,
              position,
              norm,
              layers,
              pre,
              out,
              weights.parameters() + head.parameters());
        });
  }

  @Override
  NDArray embed(Batch batch) {
    if (classifier == null) {
      throw new InvalidInputException(
          "DistilBertModel has no task head; headprune scores and evaluates "
              + "DistilBertForSequenceClassification checkpoints");
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

    // embeddings: word + position (0 … T−1), LayerNorm
    NDArray positions = scope.arange(0, (int) length, 1, DataType.INT64); // (T)
    NDArray hidden =
        Embedding.embedding(batch.inputIds(), wordEmbeddings, SparseFormat.DENSE)
            .singletonOrThrow() // (B, T, E)
            .add(
                Embedding.embedding(positions, positionEmbeddings, SparseFormat.DENSE)
                    .singletonOrThrow());
    return embeddingNorm.apply(hidden); // (B, T, E)
  }

  /** Head on the first token: classifier(relu(pre_classifier(h0))). */
  @Override
  NDArray classify(NDArray first) {
    return classifier.apply(ai.djl.nn.Activation.relu(preClassifier.apply(first))); // (B, C)
  }
}
