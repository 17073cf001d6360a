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
 * BERT (Hugging Face {@code BertModel} / {@code BertForSequenceClassification}) in forward
 * order: embeddings, encoder layers (self-attention with head gates, attention output,
 * feed-forward; {@link EncoderLayer}), pooler, classifier. Eval mode (no dropout), erf GELU,
 * absolute positions. Layers may have different head counts (a checkpoint whose config carries
 * {@code pruned_heads}).
 *
 * <p>Shapes: B batch, T tokens, E hidden, C labels.
 */
public final class Bert extends EncoderModel {

  private final Embeddings embeddings;
  private final Dense pooler;
  private final Dense classifier;

  private record Embeddings(NDArray word, NDArray position, NDArray tokenType, Norm norm) {}

  private Bert(ModelConfig config, NDManager manager, Embeddings embeddings, List<EncoderLayer> layers, Dense pooler,
      Dense classifier, long parameters) {
    super(config, manager, layers, parameters);
    this.embeddings = embeddings;
    this.pooler = pooler;
    this.classifier = classifier;
  }

  /** Loads a BERT checkpoint onto {@code device}, checking every expected weight and shape. */
  public static Bert load(Checkpoint checkpoint, Device device) {
    ModelConfig config = checkpoint.config();
    boolean prefixed = checkpoint.tensors().containsKey("bert.embeddings.word_embeddings.weight");
    NDManager manager = NDManager.newBaseManager(device, Devices.ENGINE);
    try {
      Weights weights = new Weights(checkpoint, manager, prefixed ? "bert." : "");
      long e = config.hiddenSize();
      float eps = (float) config.layerNormEps();
      Embeddings embeddings =
          new Embeddings(
              weights.load("embeddings.word_embeddings.weight", config.vocabSize(), e),
              weights.load("embeddings.position_embeddings.weight", config.maxPositions(), e),
              weights.load("embeddings.token_type_embeddings.weight", config.typeVocabSize(), e),
              Norm.load(weights, "embeddings.LayerNorm", e, eps));
      List<EncoderLayer> layers = new ArrayList<>();
      for (int l = 0; l < config.layers(); l++) {
        layers.add(EncoderLayer.load(weights, config, l));
      }
      Dense pooler = weights.has("pooler.dense.weight") ? Dense.load(weights, "pooler.dense", e, e) : null;
      if (!config.architecture().equals("BertForSequenceClassification")) {
        return new Bert(config, manager, embeddings, layers, pooler, null, weights.parameters());
      }
      if (!prefixed) {
        throw new InvalidInputException(
            "BertForSequenceClassification checkpoint is missing weight 'bert.embeddings.word_embeddings.weight'");
      }
      if (pooler == null) {
        throw new InvalidInputException("checkpoint is missing weight 'bert.pooler.dense.weight'");
      }
      Weights head = new Weights(checkpoint, manager, "");
      Dense classifier = Dense.load(head, "classifier", config.labels().count(), e);
      return new Bert(config, manager, embeddings, layers, pooler, classifier, weights.parameters() + head.parameters());
    } catch (RuntimeException ex) {
      manager.close();
      throw ex;
    }
  }

  @Override
  public Output forward(Batch batch, List<NDArray> gates) {
    if (classifier == null) {
      throw new InvalidInputException(
          "BertModel has no task head; headprune scores and evaluates BertForSequenceClassification checkpoints");
    }
    NDManager scope = batch.inputIds().getManager();
    long length = batch.inputIds().getShape().get(1);
    if (length > config.maxPositions()) {
      throw new InvalidInputException(
          "sequence of " + length + " tokens exceeds max_position_embeddings " + config.maxPositions());
    }

    // embeddings: word + token type + position (0 … T−1), LayerNorm
    NDArray positions = scope.arange(0, (int) length, 1, DataType.INT64); // (T)
    NDArray hidden =
        Embedding.embedding(batch.inputIds(), embeddings.word(), SparseFormat.DENSE)
            .singletonOrThrow() // (B, T, E)
            .add(Embedding.embedding(batch.typeIds(), embeddings.tokenType(), SparseFormat.DENSE).singletonOrThrow())
            .add(Embedding.embedding(positions, embeddings.position(), SparseFormat.DENSE).singletonOrThrow());
    hidden = embeddings.norm().apply(hidden); // (B, T, E)

    // encoder
    EncoderLayer.Encoded encoded =
        EncoderLayer.encode(layers, hidden, batch.attentionMask(), gates, config.headSize());

    // pooler: tanh(dense(first token)); classifier
    NDArray first = encoded.hidden().get(":, 0, :"); // (B, E)
    NDArray pooled = pooler.apply(first).tanh(); // (B, E)
    NDArray logits = classifier.apply(pooled); // (B, C)
    return new Output(logits, encoded.attentions());
  }
}
