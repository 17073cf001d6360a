package io.headprune.model;

/**
 * Qwen3 ({@code Qwen3ForCausalLM}, transformers' {@code modular_qwen3.py}): Qwen2 with an RMSNorm
 * over head_dim ({@code q_norm}, {@code k_norm}, one [D] weight shared by the heads) on every query
 * and key head before rotary, head_dim 128 when absent, and Llama's biases (q/k/v/o iff {@code
 * attention_bias}).
 */
public final class Qwen3 {

  /** Qwen3 as its difference from Qwen2. */
  public static final DecoderFamily FAMILY =
      Qwen2.FAMILY.with(
          f ->
              f.named("qwen3", "Qwen3ForCausalLM")
                  .headDim(128)
                  .biases(DecoderFamily.Biases.ATTENTION_BIAS, false)
                  .qkNorm());

  /** Qwen3 as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = Decoder.architecture(FAMILY);

  private Qwen3() {}
}
