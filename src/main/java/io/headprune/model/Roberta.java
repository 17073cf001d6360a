package io.headprune.model;

/**
 * RoBERTa ({@code RobertaModel} / {@code RobertaForSequenceClassification}): BERT whose positions
 * count real tokens from {@code pad_token_id + 1} (padding 1 when absent), under {@code roberta.},
 * with the head {@code classifier.out_proj(tanh(classifier.dense(h₀)))} and no pooler.
 */
public final class Roberta {

  /** RoBERTa as its difference from BERT (RobertaConfig extends BertConfig). */
  public static final TextEncoderFamily FAMILY =
      Bert.FAMILY.with(
          f ->
              f.named(
                      "roberta",
                      "RobertaForSequenceClassification",
                      "RobertaModel",
                      raw -> Bert.config(raw, "roberta", 1),
                      "roberta.")
                  .positions(TextEncoderFamily.Positions.AFTER_PADDING)
                  .head(TextEncoderFamily.Head.classifier(TextEncoderFamily.HeadActivation.TANH)));

  /** RoBERTa as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = TextEncoder.architecture(FAMILY);

  private Roberta() {}
}
