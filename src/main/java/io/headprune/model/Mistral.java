package io.headprune.model;

/**
 * Mistral ({@code MistralForCausalLM}): Llama whose every layer attends within {@code
 * sliding_window} (4096 when absent, none when null; transformers' {@code masking_utils}: query i
 * sees keys i − W &lt; j ≤ i).
 */
public final class Mistral {

  /** Mistral as its difference from Llama. */
  public static final DecoderFamily FAMILY =
      Llama.FAMILY.with(
          f ->
              f.named("mistral", "MistralForCausalLM")
                  .maxPositions(4096 * 32)
                  .windows(DecoderFamily.Windows.everyLayer(4096)));

  /** Mistral as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = Decoder.architecture(FAMILY);

  private Mistral() {}
}
