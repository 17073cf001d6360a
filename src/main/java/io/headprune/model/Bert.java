package io.headprune.model;

import io.headprune.checkpoint.ConfigValues;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * BERT (Hugging Face {@code BertModel} / {@code BertForSequenceClassification}): the {@link
 * TextEncoder} block as it is — word + token type + absolute position embeddings, the encoder
 * layers under {@code bert.encoder.layer.<l>.}, and the pooler and classifier on the first token:
 * {@code classifier(tanh(pooler.dense(h₀)))}. The family the other text encoders are stated
 * against.
 */
public final class Bert {

  /**
   * Weight names of a layer, under {@code [bert.]encoder.layer.<l>.} (RoBERTa, ELECTRA: the same).
   */
  static final EncoderLayer.Names NAMES =
      new EncoderLayer.Names(
          "encoder.layer",
          "attention.self.query",
          "attention.self.key",
          "attention.self.value",
          "attention.output.dense",
          "attention.output.LayerNorm",
          "intermediate.dense",
          "output.dense",
          "output.LayerNorm");

  /** BERT as data. */
  public static final TextEncoderFamily FAMILY =
      new TextEncoderFamily(
          "bert",
          List.of("BertForSequenceClassification", "BertModel"),
          raw -> config(raw, "bert", 0),
          "bert.",
          NAMES,
          "intermediate_size",
          "layer_norm_eps",
          true,
          TextEncoderFamily.Positions.ABSOLUTE,
          null,
          new TextEncoderFamily.Head(
              true, "pooler.dense", "classifier", TextEncoderFamily.HeadActivation.TANH));

  /** BERT as the rest of headprune reads it. */
  public static final Architecture ARCHITECTURE = TextEncoder.architecture(FAMILY);

  private Bert() {}

  /**
   * BertConfig's keys (RobertaConfig is the same class): hidden_size, num_attention_heads,
   * num_hidden_layers, intermediate_size, vocab_size, max_position_embeddings, type_vocab_size,
   * layer_norm_eps, pad_token_id; refuses activations other than erf GELU and relative positions.
   */
  static ModelConfig config(ObjectNode raw, String modelType, int defaultPad) {
    int[] widthAndHeads = ConfigValues.evenHeads(raw, "hidden_size", "num_attention_heads");
    int hidden = widthAndHeads[0];
    int heads = widthAndHeads[1];
    int layers = ConfigValues.positive(raw, "num_hidden_layers", 1024);
    ConfigValues.oneOf(raw, "hidden_act", "gelu", "gelu");
    ConfigValues.oneOf(raw, "position_embedding_type", "absolute", "absolute");
    ConfigValues.positive(raw, "vocab_size", ConfigValues.MAX_VOCAB);
    ConfigValues.positive(raw, "intermediate_size", 4 * ConfigValues.MAX_DIMENSION);
    ConfigValues.optionalPositive(raw, "type_vocab_size", 2, 1024);
    return encoder(raw, modelType, hidden, layers, heads, defaultPad);
  }

  /** The config of a bidirectional text encoder of the lineage, its keys already read. */
  static ModelConfig encoder(
      ObjectNode raw, String modelType, int hidden, int layers, int heads, int defaultPad) {
    return new ModelConfig(
        Models.className(raw, Models.architecture(raw)),
        modelType,
        hidden,
        layers,
        heads,
        heads,
        hidden / heads,
        ConfigValues.positive(raw, "max_position_embeddings", ConfigValues.MAX_DIMENSION),
        false,
        false,
        ConfigValues.tokenId(
            raw,
            "pad_token_id",
            defaultPad,
            ConfigValues.positive(raw, "vocab_size", ConfigValues.MAX_VOCAB)),
        ConfigValues.labels(raw),
        ConfigValues.prunedHeads(raw, layers, heads),
        raw);
  }
}
