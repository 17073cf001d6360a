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
 * DistilBERT (Hugging Face {@code DistilBertModel} / {@code DistilBertForSequenceClassification})
 * in forward order: word and position embeddings (no token types), the post-LayerNorm
 * transformer blocks ({@link EncoderLayer} with DistilBERT's weight names: q_lin, k_lin, v_lin,
 * out_lin, sa_layer_norm, ffn.lin1, ffn.lin2, output_layer_norm), and the head on the first
 * token: {@code classifier(relu(pre_classifier(h₀)))}.
 *
 * <p>Shapes: B batch, T tokens, E hidden (config {@code dim}), C labels.
 */
public final class DistilBert extends EncoderModel {

  private final NDArray wordEmbeddings;
  private final NDArray positionEmbeddings;
  private final Norm embeddingNorm;
  private final Dense preClassifier;
  private final Dense classifier;

  private DistilBert(ModelConfig config, NDManager manager, NDArray wordEmbeddings, NDArray positionEmbeddings,
      Norm embeddingNorm, List<EncoderLayer> layers, Dense preClassifier, Dense classifier, long parameters) {
    super(config, manager, layers, parameters);
    this.wordEmbeddings = wordEmbeddings;
    this.positionEmbeddings = positionEmbeddings;
    this.embeddingNorm = embeddingNorm;
    this.preClassifier = preClassifier;
    this.classifier = classifier;
  }

  /** Loads a DistilBERT checkpoint onto {@code device}, checking every expected weight and shape. */
  public static DistilBert load(Checkpoint checkpoint, Device device) {
    ModelConfig config = checkpoint.config();
    boolean prefixed = checkpoint.tensors().containsKey("distilbert.embeddings.word_embeddings.weight");
    NDManager manager = NDManager.newBaseManager(device, Devices.ENGINE);
    try {
      Weights weights = new Weights(checkpoint, manager, prefixed ? "distilbert." : "");
      long e = config.hiddenSize();
      NDArray word = weights.load("embeddings.word_embeddings.weight", config.vocabSize(), e);
      NDArray position = weights.load("embeddings.position_embeddings.weight", config.maxPositions(), e);
      Norm norm = Norm.load(weights, "embeddings.LayerNorm", e, (float) config.layerNormEps());
      List<EncoderLayer> layers = new ArrayList<>();
      for (int l = 0; l < config.layers(); l++) {
        layers.add(EncoderLayer.load(weights, config, l, EncoderLayer.Names.DISTILBERT));
      }
      if (!config.hasTaskHead()) {
        return new DistilBert(config, manager, word, position, norm, layers, null, null, weights.parameters());
      }
      if (!prefixed) {
        throw new InvalidInputException("DistilBertForSequenceClassification checkpoint is missing weight "
            + "'distilbert.embeddings.word_embeddings.weight'");
      }
      Weights head = new Weights(checkpoint, manager, "");
      Dense pre = Dense.load(head, "pre_classifier", e, e);
      Dense out = Dense.load(head, "classifier", config.labels().count(), e);
      return new DistilBert(config, manager, word, position, norm, layers, pre, out,
          weights.parameters() + head.parameters());
    } catch (RuntimeException ex) {
      manager.close();
      throw ex;
    }
  }

  @Override
  public Output forward(Batch batch, List<NDArray> gates) {
    if (classifier == null) {
      throw new InvalidInputException("DistilBertModel has no task head; headprune scores and evaluates "
          + "DistilBertForSequenceClassification checkpoints");
    }
    NDManager scope = batch.inputIds().getManager();
    long length = batch.inputIds().getShape().get(1);
    if (length > config.maxPositions()) {
      throw new InvalidInputException(
          "sequence of " + length + " tokens exceeds max_position_embeddings " + config.maxPositions());
    }

    // embeddings: word + position (0 … T−1), LayerNorm
    NDArray positions = scope.arange(0, (int) length, 1, DataType.INT64); // (T)
    NDArray hidden =
        Embedding.embedding(batch.inputIds(), wordEmbeddings, SparseFormat.DENSE)
            .singletonOrThrow() // (B, T, E)
            .add(Embedding.embedding(positions, positionEmbeddings, SparseFormat.DENSE).singletonOrThrow());
    hidden = embeddingNorm.apply(hidden); // (B, T, E)

    // transformer blocks
    EncoderLayer.Encoded encoded =
        EncoderLayer.encode(layers, hidden, batch.attentionMask(), gates, config.headSize());

    // head on the first token: classifier(relu(pre_classifier(h0)))
    NDArray first = encoded.hidden().get(":, 0, :"); // (B, E)
    NDArray logits = classifier.apply(ai.djl.nn.Activation.relu(preClassifier.apply(first))); // (B, C)
    return new Output(logits, encoded.attentions());
  }
}
