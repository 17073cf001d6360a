package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;

/**
 * A text classifier built of post-LayerNorm {@link EncoderLayer}s that reads its first token (BERT,
 * RoBERTa, DistilBERT): each family gives its embeddings and its head on the first token; the
 * encoder, the inference shortcuts and the layer-by-layer run are shared here.
 *
 * <p>Shapes: B batch, T tokens, E hidden, C classes.
 */
abstract class TextEncoder extends EncoderModel {

  private final List<EncoderLayer> layers;

  TextEncoder(ModelConfig config, NDManager manager, List<EncoderLayer> layers, long parameters) {
    super(config, manager, layers.stream().map(EncoderLayer::attention).toList(), parameters);
    this.layers = List.copyOf(layers);
  }

  /**
   * The hidden states entering the first layer (B, T, E), on the batch's manager; refuses a model
   * without a task head or a batch longer than the positions it has.
   */
  abstract NDArray embed(Batch batch);

  /** The logits (B, C) of the last layer's first-token states (B, E). */
  abstract NDArray classify(NDArray first);

  @Override
  Output run(Batch batch, List<NDArray> gates, Attention.Need need) {
    NDArray hidden = embed(batch); // (B, T, E)
    EncoderLayer.Encoded encoded =
        EncoderLayer.encode(layers, hidden, batch.attentionMask(), gates, config.headSize(), need);
    return new Output(classify(encoded.first().get(":, 0, :")), encoded.attentions()); // (B, C)
  }

  @Override
  public Stages stages() {
    return new Stages() {
      @Override
      public Stage start(Batch batch) {
        NDArray hidden = embed(batch); // (B, T, E)
        return new Stage(
            0,
            hidden,
            EncoderLayer.keyMask(batch.attentionMask()),
            Attention.Constants.on(hidden.getManager(), config.headSize()));
      }

      @Override
      public Stage next(Stage stage, NDArray gate) {
        int l = stage.layer;
        Attention.Need need =
            l == layers.size() - 1
                ? Attention.Need.INFERENCE.lastLayer()
                : Attention.Need.INFERENCE;
        return stage.next(
            layers.get(l)
                .forward(stage.hidden, stage.keyMask, gate, stage.constants, need)[0]); // (B, R, E)
      }

      @Override
      public NDArray logits(Stage stage) {
        requireAllLayersRun(stage);
        return classify(stage.hidden.get(":, 0, :")); // (B, C)
      }
    };
  }
}
