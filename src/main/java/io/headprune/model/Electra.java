package io.headprune.model;

import io.headprune.checkpoint.ConfigValues;

/**
 * ELECTRA's discriminator as a classifier ({@code ElectraModel} / {@code
 * ElectraForSequenceClassification}, transformers' models/electra): BERT under {@code electra.}
 * whose embeddings have their own width {@code embedding_size} [128], projected to hidden_size by
 * {@code embeddings_project} when the two differ, and whose head is {@code
 * classifier.out_proj(gelu(classifier.dense(h₀)))} with the erf GELU (not BERT's tanh pooler).
 */
public final class Electra {

  /** ELECTRA as its difference from BERT. */
  public static final TextEncoderFamily FAMILY =
      Bert.FAMILY.with(
          f ->
              f.named(
                      "electra",
                      "ElectraForSequenceClassification",
                      "ElectraModel",
                      raw -> {
                        ConfigValues.optionalPositive(
                            raw, "embedding_size", 128, ConfigValues.MAX_DIMENSION);
                        return Bert.config(raw, "electra", 0);
                      },
                      "electra.")
                  .embeddingSize("embedding_size")
                  .head(TextEncoderFamily.Head.classifier(TextEncoderFamily.HeadActivation.GELU)));

  /** ELECTRA as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = TextEncoder.architecture(FAMILY);

  private Electra() {}
}
