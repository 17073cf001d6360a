package io.headprune.model;

/**
 * Qwen2 ({@code Qwen2ForCausalLM}): Llama with q/k/v biases always and no o bias, and, only with
 * {@code use_sliding_window}, a sliding window on the layers {@code layer_types} names (by default
 * those from {@code max_window_layers} on); max_position_embeddings 32768 when absent.
 */
public final class Qwen2 {

  /** Qwen2 as its difference from Llama. */
  public static final DecoderFamily FAMILY =
      Llama.FAMILY.with(
          f ->
              f.named("qwen2", "Qwen2ForCausalLM")
                  .maxPositions(32768)
                  .biases(DecoderFamily.Biases.QKV_ALWAYS, true)
                  .windows(DecoderFamily.Windows.QWEN));

  /** Qwen2 as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = Decoder.architecture(FAMILY);

  private Qwen2() {}
}
