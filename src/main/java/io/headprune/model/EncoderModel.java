package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * A model whose layers each have one {@link Attention} block (BERT, RoBERTa, DistilBERT, ViT): its
 * heads and their l2 norms come from those blocks; its scoring forward, its inference logits and
 * its layer-by-layer run are one loop over its layers that asks different things of each.
 */
abstract class EncoderModel extends LoadedModel {

  private final List<Attention> attentions;

  EncoderModel(ModelConfig config, NDManager manager, List<Attention> attentions, long parameters) {
    super(config, manager, attentions.stream().map(Attention::heads).toList(), parameters);
    this.attentions = List.copyOf(attentions);
  }

  /** The hidden states entering the first layer (B, T, E), on the batch's manager. */
  abstract NDArray embed(Batch batch);

  /** The additive mask of padding keys (B, 1, 1, T), or null when nothing is padded. */
  NDArray keyMask(Batch batch) {
    return null;
  }

  /**
   * Layer {@code l} on {@code hidden} (B, T, E): its output (B, R, E) and its attention
   * probabilities (B, N, T, T) or null, as {@code need} (already the last layer's, there) asks.
   */
  abstract NDArray[] layer(
      int l,
      NDArray hidden,
      NDArray keyMask,
      NDArray gate,
      Attention.Constants constants,
      Attention.Need need);

  /** The logits (B, C) from the last layer's output (B, 1, E): the first token's row. */
  abstract NDArray head(NDArray last);

  /** What {@code need} asks of layer {@code l}: the last layer's rows are the first only. */
  private Attention.Need need(int l, Attention.Need need) {
    return l == attentions.size() - 1 ? need.lastLayer() : need;
  }

  /**
   * The forward pass, doing what {@code need} asks of every layer: scoring's probabilities, or
   * inference's shortcuts.
   */
  private Output run(Batch batch, List<NDArray> gates, Attention.Need need) {
    Stage stage = start(batch);
    List<NDArray> probabilities = new ArrayList<>();
    while (stage.layer < attentions.size()) {
      int l = stage.layer;
      NDArray[] out =
          layer(
              l,
              stage.hidden,
              stage.keyMask,
              gates == null ? null : gates.get(l),
              stage.constants,
              need(l, need)); // (B, R, E), (B, N, T, T)
      if (need.probabilities()) {
        probabilities.add(out[1]);
      }
      stage = stage.next(out[0]);
    }
    return new Output(head(stage.hidden), probabilities); // (B, C)
  }

  private Stage start(Batch batch) {
    NDArray hidden = embed(batch); // (B, T, E)
    return new Stage(
        0, hidden, keyMask(batch), Attention.Constants.on(hidden.getManager(), config.headSize()));
  }

  @Override
  public Output forward(Batch batch, List<NDArray> gates) {
    return run(batch, gates, Attention.Need.SCORING);
  }

  @Override
  public NDArray logits(Batch batch, List<NDArray> gates) {
    return run(batch, gates, Attention.Need.INFERENCE).logits();
  }

  @Override
  public Stages stages() {
    return new Stages() {
      @Override
      public Stage start(Batch batch) {
        return EncoderModel.this.start(batch);
      }

      @Override
      public Stage next(Stage stage, NDArray gate) {
        int l = stage.layer;
        return stage.next(
            layer(
                l,
                stage.hidden,
                stage.keyMask,
                gate,
                stage.constants,
                need(l, Attention.Need.INFERENCE))[0]); // (B, R, E)
      }

      @Override
      public NDArray logits(Stage stage) {
        if (stage.layer != attentions.size()) {
          throw new IllegalStateException(
              "logits after layer " + stage.layer + " of " + attentions.size());
        }
        return head(stage.hidden); // (B, C)
      }
    };
  }

  @Override
  public NDArray outputWeight(int layer, NDManager scope) {
    return attentions.get(layer).output().weight(); // (E, N·D)
  }

  @Override
  public double[][] headWeightNorms() {
    return attentions.stream().map(Attention::headWeightNorms).toArray(double[][]::new);
  }
}
