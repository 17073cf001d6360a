package io.headprune.model;

/**
 * XLM-RoBERTa ({@code XLMRobertaModel} / {@code XLMRobertaForSequenceClassification}, model_type
 * {@code xlm-roberta}): RoBERTa under another name — transformers' modeling_xlm_roberta copies
 * every RoBERTa module and keeps the {@code roberta.} weight prefix.
 */
public final class XlmRoberta {

  /** XLM-RoBERTa as its difference from RoBERTa: the names. */
  public static final TextEncoderFamily FAMILY =
      Roberta.FAMILY.with(
          f ->
              f.named(
                  "xlm-roberta",
                  "XLMRobertaForSequenceClassification",
                  "XLMRobertaModel",
                  raw -> Bert.config(raw, "xlm-roberta", 1),
                  "roberta."));

  /** XLM-RoBERTa as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = TextEncoder.architecture(FAMILY);

  private XlmRoberta() {}
}
