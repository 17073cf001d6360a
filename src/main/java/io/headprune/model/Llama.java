package io.headprune.model;

/**
 * Llama ({@code LlamaForCausalLM}, transformers' {@code models/llama}): the {@link Decoder} block
 * as it is — RMSNorm, rotary positions of every type {@link Rope} computes, SiLU-gated MLP,
 * grouped-query attention, q/k/v/o biases iff {@code attention_bias}, MLP biases iff {@code
 * mlp_bias}, no sliding window; max_position_embeddings 2048 when absent.
 */
public final class Llama {

  /** Llama as data. */
  public static final DecoderFamily FAMILY = DecoderFamily.llama();

  /** Llama as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = Decoder.architecture(FAMILY);

  private Llama() {}
}
