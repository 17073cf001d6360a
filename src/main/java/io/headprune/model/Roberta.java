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
 * RoBERTa (Hugging Face {@code RobertaModel} / {@code RobertaForSequenceClassification}) in forward
 * order: embeddings whose positions count real tokens from {@code pad_token_id + 1}, the BERT
 * encoder layers ({@link EncoderLayer}), and the classification head on the first token: {@code
 * out_proj(tanh(dense(h₀)))}. No pooler.
 *
 * <p>Shapes: B batch, T tokens, E hidden, C labels.
 */
public final class Roberta extends TextEncoder {

  /**
   * RoBERTa as data: BERT's config keys (RobertaConfig extends BertConfig), padding id 1 by
   * default.
   */
  public static final Architecture ARCHITECTURE =
      new Architecture(
          "roberta",
          List.of("RobertaForSequenceClassification", "RobertaModel"),
          Architecture.Modality.TEXT,
          List.of(),
          raw -> Bert.config(raw, "roberta", 1),
          Roberta::layout,
          Architecture.PhysicalPruning.PRUNED_HEADS,
          Roberta::load);

  /**
   * Weight names of a layer, under {@code [roberta.]encoder.layer.<l>.} (RobertaLayer copies
   * BertLayer).
   */
  private static final EncoderLayer.Names NAMES =
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

  private static final String BASE = "roberta.";

  private final Embeddings embeddings;
  private final Dense headDense;
  private final Dense headOut;

  private record Embeddings(NDArray word, NDArray position, NDArray tokenType, Norm norm) {}

  private Roberta(
      ModelConfig config,
      NDManager manager,
      Embeddings embeddings,
      List<EncoderLayer> layers,
      Dense headDense,
      Dense headOut,
      long parameters) {
    super(config, manager, layers, parameters);
    this.embeddings = embeddings;
    this.headDense = headDense;
    this.headOut = headOut;
  }

  private static String base(Checkpoint checkpoint) {
    return checkpoint.tensors().containsKey(BASE + "embeddings.word_embeddings.weight") ? BASE : "";
  }

  static HeadLayout layout(Checkpoint checkpoint) {
    return EncoderLayer.layout(base(checkpoint), checkpoint.config(), NAMES);
  }

  /** Loads a RoBERTa checkpoint onto {@code device}, checking every expected weight and shape. */
  static Roberta load(Checkpoint checkpoint, Device device) {
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
          if (!config.hasTaskHead()) {
            return new Roberta(
                config, manager, embeddings, layers, null, null, weights.parameters());
          }
          if (!prefixed) {
            throw new InvalidInputException(
                "RobertaForSequenceClassification checkpoint is missing weight 'roberta.embeddings.word_embeddings.weight'");
          }
          Weights head = new Weights(checkpoint, manager, "classifier.");
          Dense dense = Dense.load(head, "dense", e, e);
          Dense out = Dense.load(head, "out_proj", config.labels().count(), e);
          return new Roberta(
              config,
              manager,
              embeddings,
              layers,
              dense,
              out,
              weights.parameters() + head.parameters());
        });
  }

  @Override
  NDArray embed(Batch batch) {
    if (headOut == null) {
      throw new InvalidInputException(
          "RobertaModel has no task head; headprune scores and evaluates RobertaForSequenceClassification checkpoints");
    }
    long length = batch.inputIds().getShape().get(1);
    int padding = config.padTokenId();
    if (length + padding + 1 > config.maxPositions()) {
      throw new InvalidInputException(
          "sequence of "
              + length
              + " tokens exceeds max_position_embeddings "
              + config.maxPositions()
              + " (RoBERTa positions start at pad_token_id + 1 = "
              + (padding + 1)
              + ")");
    }

    // embeddings: positions are padding_idx + 1, + 2, … for real tokens and padding_idx for padding
    NDArray real = batch.inputIds().neq(padding).toType(DataType.INT64, false); // (B, T)
    NDArray positions = real.cumSum(1).mul(real).add(padding); // (B, T)
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

  /** Classification head on the first token: out_proj(tanh(dense(h0))). */
  @Override
  NDArray classify(NDArray first) {
    return headOut.apply(headDense.apply(first).tanh()); // (B, C)
  }
}
