package io.headprune.model;

import io.headprune.checkpoint.ConfigValues;
import io.headprune.checkpoint.ModelConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * DistilBERT (Hugging Face {@code DistilBertModel} / {@code DistilBertForSequenceClassification}):
 * BERT without token types, with its own config keys ({@code dim}, {@code n_heads}, {@code
 * n_layers}, {@code hidden_dim}), its own weight names (q_lin, k_lin, v_lin, out_lin,
 * sa_layer_norm, ffn.lin1, ffn.lin2, output_layer_norm), LayerNorms of a fixed eps 1e-12 (the
 * config has no key for it), and the head {@code classifier(relu(pre_classifier(h₀)))}.
 */
public final class DistilBert {

  /** Weight names of a block, under {@code [distilbert.]transformer.layer.<l>.}. */
  private static final EncoderLayer.Names NAMES =
      new EncoderLayer.Names(
          "transformer.layer",
          "attention.q_lin",
          "attention.k_lin",
          "attention.v_lin",
          "attention.out_lin",
          "sa_layer_norm",
          "ffn.lin1",
          "ffn.lin2",
          "output_layer_norm");

  /** DistilBERT as its difference from BERT. */
  public static final TextEncoderFamily FAMILY =
      Bert.FAMILY.with(
          f ->
              f.named(
                      "distilbert",
                      "DistilBertForSequenceClassification",
                      "DistilBertModel",
                      DistilBert::config,
                      "distilbert.")
                  .layers(NAMES, "hidden_dim", null)
                  .withoutTokenTypes()
                  .head(
                      new TextEncoderFamily.Head(
                          false,
                          "pre_classifier",
                          "classifier",
                          TextEncoderFamily.HeadActivation.RELU)));

  /** DistilBERT as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = TextEncoder.architecture(FAMILY);

  private DistilBert() {}

  /**
   * DistilBertConfig's keys: dim, n_heads, n_layers, hidden_dim, vocab_size,
   * max_position_embeddings, activation (gelu only), pad_token_id.
   */
  static ModelConfig config(ObjectNode raw) {
    int[] widthAndHeads = ConfigValues.evenHeads(raw, "dim", "n_heads");
    int hidden = widthAndHeads[0];
    int heads = widthAndHeads[1];
    int layers = ConfigValues.positive(raw, "n_layers", 1024);
    ConfigValues.oneOf(raw, "activation", "gelu", "gelu");
    ConfigValues.positive(raw, "vocab_size", ConfigValues.MAX_VOCAB);
    ConfigValues.positive(raw, "hidden_dim", 4 * ConfigValues.MAX_DIMENSION);
    return Bert.encoder(raw, "distilbert", hidden, layers, heads, 0);
  }
}
