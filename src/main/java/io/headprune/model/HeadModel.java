package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;
import java.util.function.Consumer;

/** A transformer whose attention heads can be gated, scored and pruned. */
public interface HeadModel extends AutoCloseable {

  /**
   * The result of one forward pass.
   *
   * @param logits (B, C) classification logits, or (B, 1) for regression
   * @param attentions per layer, the attention probabilities (B, H_l, T, T) before gating
   */
  record Output(NDArray logits, List<NDArray> attentions) {}

  /** The model's config. */
  ModelConfig config();

  /** Per layer, the original indices of the heads the model has. */
  int[][] heads();

  /** The long-lived manager that owns the weights; open per-batch sub-managers from it. */
  NDManager manager();

  /**
   * Runs the model on {@code batch}. {@code gates} holds one (B, H_l) or (1, H_l) array per layer
   * that multiplies the attention probabilities (Hugging Face's head_mask), or is null for none.
   */
  Output forward(Batch batch, List<NDArray> gates);

  /**
   * The logits of {@link #forward} alone, (B, C) — or (B, T, V) for a language model — equal up to
   * float rounding: what inference reads. A family may skip what only the attention probabilities
   * need, such as the rows its task head never reads and the heads a (1, H_l) gate turns off.
   */
  default NDArray logits(Batch batch, List<NDArray> gates) {
    return forward(batch, gates).logits();
  }

  /**
   * The model run one layer at a time for inference, equal to {@link #logits} layer for layer, so
   * that head sets whose gates agree on their first layers can share those layers' work; null for a
   * family that runs only whole.
   */
  default Stages stages() {
    return null;
  }

  /**
   * The model as layers that load one at a time, for models bigger than memory: null for a model
   * whose weights are all resident. Scoring runs the layers forward without recording, keeping each
   * layer's input, then recomputes them from the top down with recording on, one at a time.
   */
  default Streaming streaming() {
    return null;
  }

  /** A model run one layer at a time, each layer's weights loaded when it runs. */
  @FunctionalInterface
  interface Streaming {

    /** Begins a pass over {@code batch}: what its layers share lands on the batch's manager. */
    Run begin(Batch batch);

    /** One batch's pass. */
    interface Run {

      /** The hidden states entering layer 0 (B, T, E), on the batch's manager. */
      NDArray embeddings();

      /** Layer {@code layer}'s weights in working precision, owned by {@code manager}. */
      Block load(int layer, NDManager manager);

      /** The logits (B, T, V) from the last layer's output (B, T, E). */
      NDArray logits(NDArray hidden);
    }

    /** One layer's weights, loaded. */
    @FunctionalInterface
    interface Block {

      /**
       * The layer on {@code hidden} (B, T, E) with {@code gate} (B|1, H_l) or null: its output (B,
       * T, E) and attention probabilities before gating (B, H_l, T, T), on the manager of {@code
       * hidden}.
       */
      NDArray[] apply(NDArray hidden, NDArray gate);
    }
  }

  /** Inference one layer at a time. */
  interface Stages {

    /** The batch entering layer 0 (embeddings), on the batch's manager. */
    Stage start(Batch batch);

    /**
     * Runs layer {@code stage.layer()} with {@code gate} (1, H_l), or null for every head; what it
     * computes belongs to the manager of the stage's hidden states (see {@link Stage#on}).
     */
    Stage next(Stage stage, NDArray gate);

    /** The logits once every layer has run: (B, C) for a classifier, (B, T, V) for a causal LM. */
    NDArray logits(Stage stage);
  }

  /**
   * The sliding window of layer {@code layer}'s causal attention (query t sees keys t − W &lt; j ≤
   * t), or 0 when it sees every earlier key; attention entropy normalises row t by ln min(t + 1,
   * W).
   */
  default int slidingWindow(int layer) {
    return 0;
  }

  /** Whether every head count a pruning leaves must divide the hidden size (else unloadable). */
  default boolean headsMustDivideHidden() {
    return false;
  }

  /**
   * Layer {@code layer}'s attention output projection as the forward pass applies it, {@code x ·
   * Wᵀ}: (E, H_l·D), head h's columns h·D … (h+1)·D (grouped-query models: query head h's). Either
   * the weight itself (never to be closed or moved by the caller) or a new array that belongs to
   * {@code scope}; arrays computed from it belong to the weight's manager until the caller attaches
   * them to its own.
   */
  NDArray outputWeight(int layer, NDManager scope);

  /**
   * Runs {@code forward(batch, gates)} and hands {@code contexts} every layer's gated attention
   * context (B, H_l, T, D) in layer order — what the output projection reads — before returning the
   * output. The contexts belong to the batch's manager.
   */
  default Output forward(Batch batch, List<NDArray> gates, Consumer<NDArray> contexts) {
    Attention.CONTEXTS.set(contexts);
    try {
      return forward(batch, gates);
    } finally {
      Attention.CONTEXTS.remove();
    }
  }

  /** Per layer and head, the L2 norm of the head's query/key/value rows and output columns. */
  double[][] headWeightNorms();

  /** Number of parameters (weights and biases) of the model. */
  long parameters();

  @Override
  void close();
}
