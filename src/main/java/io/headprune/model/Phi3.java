package io.headprune.model;

/**
 * Phi-3 ({@code Phi3ForCausalLM}, transformers' {@code models/phi3}): Llama with one fused {@code
 * qkv_proj} (rows: H·D query, KV·D key, KV·D value) and one fused {@code gate_up_proj} (rows: F
 * gate, F up), no biases, rotary on the first {@code int(head_dim · partial_rotary_factor)}
 * dimensions of each head, default rotary only (its long-context {@code longrope} is refused by
 * name), {@code sliding_window} on every layer when set, rms_norm_eps 1e-5 and
 * max_position_embeddings 4096 when absent.
 */
public final class Phi3 {

  /** Phi-3 as its difference from Llama. */
  public static final DecoderFamily FAMILY =
      Llama.FAMILY.with(
          f ->
              f.named("phi3", "Phi3ForCausalLM")
                  .maxPositions(4096)
                  .eps(1e-5)
                  .biases(DecoderFamily.Biases.NONE, false)
                  .fused()
                  .rotary(false, true)
                  .windows(DecoderFamily.Windows.everyLayer(0)));

  /** Phi-3 as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = Decoder.architecture(FAMILY);

  private Phi3() {}
}
