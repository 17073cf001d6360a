package io.headprune.model;

/**
 * Gemma-2 ({@code Gemma2ForCausalLM}, transformers' {@code models/gemma2}): Llama with embeddings ×
 * √hidden_size, RMSNorm by (1 + w), four norms per layer (after attention and around the MLP), a
 * GELU-tanh gate ({@code hidden_activation}), scores scaled by {@code query_pre_attn_scalar}^−½
 * [256] and soft-capped by {@code attn_logit_softcapping} [50] before the mask, logits soft-capped
 * by {@code final_logit_softcapping} [30] (null: off), a sliding window on the layers {@code
 * layer_types} names (by default the even ones), head_dim 256, tied embeddings and
 * max_position_embeddings 8192 when absent, default rotary only; transformers refuses a head count
 * that does not divide hidden_size, so a pruning never leaves one.
 */
public final class Gemma2 {

  /** Gemma-2 as its difference from Llama. */
  public static final DecoderFamily FAMILY =
      Llama.FAMILY.with(
          f ->
              f.named("gemma2", "Gemma2ForCausalLM")
                  .headDim(256)
                  .maxPositions(8192)
                  .tied(true)
                  .biases(DecoderFamily.Biases.ATTENTION_BIAS, false)
                  .gemmaNorms()
                  .activation(DecoderFamily.GateActivation.GELU_TANH)
                  .rotary(false, false)
                  .windows(DecoderFamily.Windows.ALTERNATING)
                  .softCaps(
                      new DecoderFamily.Cap("attn_logit_softcapping", 50.0),
                      new DecoderFamily.Cap("final_logit_softcapping", 30.0))
                  .queryScalar("query_pre_attn_scalar", 256)
                  .headsMustDivideHidden()
                  .refuse("use_bidirectional_attention"));

  /** Gemma-2 as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = Decoder.architecture(FAMILY);

  private Gemma2() {}
}
