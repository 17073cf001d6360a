package io.headprune.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * RoBERTa (Hugging Face {@code RobertaModel} / {@code RobertaForSequenceClassification}) in
 * forward order: embeddings whose positions count real tokens from {@code pad_token_id + 1},
 * the BERT encoder layers ({@link EncoderLayer}), and the classification head on the first
 * token: {@code out_proj(tanh(dense(h₀)))}. No pooler.
 *
 * <p>Shapes: B batch, T tokens, E hidden, C labels.
 */
public final class Roberta extends EncoderModel {

  private final Embeddings embeddings;
  private final Dense headDense;
  private final Dense headOut;

  private record Embeddings(NDArray word, NDArray position, NDArray tokenType, Norm norm) {}

  private Roberta(ModelConfig config, NDManager manager, Embeddings embeddings, List<EncoderLayer> layers,
      Dense headDense, Dense headOut, long parameters) {
    super(config, manager, layers, parameters);
    this.embeddings = embeddings;
    this.headDense = headDense;
    this.headOut = headOut;
  }

  /** Loads a RoBERTa checkpoint onto {@code device}, checking every expected weight and shape. */
  public static Roberta load(Checkpoint checkpoint, Device device) {
    ModelConfig config = checkpoint.config();
    boolean prefixed = checkpoint.tensors().containsKey("roberta.embeddings.word_embeddings.weight");
    NDManager manager = NDManager.newBaseManager(device, Devices.ENGINE);
    try {
      Weights weights = new Weights(checkpoint, manager, prefixed ? "roberta." : "");
      long e = config.hiddenSize();
      Embeddings embeddings =
          new Embeddings(
              weights.load("embeddings.word_embeddings.weight", config.vocabSize(), e),
              weights.load("embeddings.position_embeddings.weight", config.maxPositions(), e),
              weights.load("embeddings.token_type_embeddings.weight", config.typeVocabSize(), e),
              Norm.load(weights, "embeddings.LayerNorm", e, (float) config.layerNormEps()));
      List<EncoderLayer> layers = new ArrayList<>();
      for (int l = 0; l < config.layers(); l++) {
        layers.add(EncoderLayer.load(weights, config, l));
      }
      if (!config.hasTaskHead()) {
        return new Roberta(config, manager, embeddings, layers, null, null, weights.parameters());
      }
      if (!prefixed) {
        throw new InvalidInputException(
            "RobertaForSequenceClassification checkpoint is missing weight 'roberta.embeddings.word_embeddings.weight'");
      }
      Weights head = new Weights(checkpoint, manager, "classifier.");
      Dense dense = Dense.load(head, "dense", e, e);
      Dense out = Dense.load(head, "out_proj", config.labels().count(), e);
      return new Roberta(config, manager, embeddings, layers, dense, out, weights.parameters() + head.parameters());
    } catch (RuntimeException ex) {
      manager.close();
      throw ex;
    }
  }

  @Override
  public Output forward(Batch batch, List<NDArray> gates) {
    if (headOut == null) {
      throw new InvalidInputException(
          "RobertaModel has no task head; headprune scores and evaluates RobertaForSequenceClassification checkpoints");
    }
    long length = batch.inputIds().getShape().get(1);
    int padding = config.padTokenId();
    if (length + padding + 1 > config.maxPositions()) {
      throw new InvalidInputException("sequence of " + length + " tokens exceeds max_position_embeddings "
          + config.maxPositions() + " (RoBERTa positions start at pad_token_id + 1 = " + (padding + 1) + ")");
    }

    // embeddings: positions are padding_idx + 1, + 2, … for real tokens and padding_idx for padding
    NDArray real = batch.inputIds().neq(padding).toType(DataType.INT64, false); // (B, T)
    NDArray positions = real.cumSum(1).mul(real).add(padding); // (B, T)
    NDArray hidden =
        Embedding.embedding(batch.inputIds(), embeddings.word(), SparseFormat.DENSE)
            .singletonOrThrow() // (B, T, E)
            .add(Embedding.embedding(batch.typeIds(), embeddings.tokenType(), SparseFormat.DENSE).singletonOrThrow())
            .add(Embedding.embedding(positions, embeddings.position(), SparseFormat.DENSE).singletonOrThrow());
    hidden = embeddings.norm().apply(hidden); // (B, T, E)

    // encoder
    EncoderLayer.Encoded encoded =
        EncoderLayer.encode(layers, hidden, batch.attentionMask(), gates, config.headSize());

    // classification head on the first token: out_proj(tanh(dense(h0)))
    NDArray first = encoded.hidden().get(":, 0, :"); // (B, E)
    NDArray logits = headOut.apply(headDense.apply(first).tanh()); // (B, C)
    return new Output(logits, encoded.attentions());
  }
}
