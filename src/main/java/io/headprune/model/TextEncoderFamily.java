package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import tools.jackson.databind.node.ObjectNode;

/**
 * A text-classifier family of the BERT lineage as data over the one {@link TextEncoder} block: its
 * names, how its config is read, its weight names, its embeddings (token types, how positions are
 * numbered, an optional projection to the hidden width) and its head on the first token. A family
 * file builds one from the family it resembles (XLM-RoBERTa = RoBERTa under another name).
 *
 * @param modelType config's model_type
 * @param classNames {@code architectures} entries accepted; the first is the task model
 * @param config reads the family's config keys
 * @param base the bare model's prefix inside a task checkpoint ({@code bert.})
 * @param names a layer's weight names
 * @param intermediateKey the config key of the feed-forward width
 * @param epsKey the config key of the LayerNorm epsilon, or null for a fixed 1e-12
 * @param tokenTypes whether embeddings add token-type embeddings
 * @param positions how position ids are numbered
 * @param embeddingSizeKey the config key of an embedding width other than hidden_size, followed by
 *     {@code embeddings_project} (ELECTRA), or null
 * @param head the classification head on the first token
 */
public record TextEncoderFamily(
    String modelType,
    List<String> classNames,
    Function<ObjectNode, ModelConfig> config,
    String base,
    EncoderLayer.Names names,
    String intermediateKey,
    String epsKey,
    boolean tokenTypes,
    Positions positions,
    String embeddingSizeKey,
    Head head) {

  public TextEncoderFamily {
    classNames = List.copyOf(classNames);
  }

  /** How position ids are numbered. */
  public enum Positions {
    /** 0 … T−1 (BERT, DistilBERT, ELECTRA). */
    ABSOLUTE,
    /** pad + 1, pad + 2, … over real tokens, pad on padding (RoBERTa). */
    AFTER_PADDING
  }

  /**
   * The head {@code second(activation(first(h₀)))}.
   *
   * @param firstUnderBase the first projection sits under the base prefix (BERT's pooler)
   * @param first the first projection's name (hidden → hidden)
   * @param second the second projection's name (hidden → labels)
   * @param activation between them
   */
  public record Head(
      boolean firstUnderBase, String first, String second, HeadActivation activation) {

    /** RoBERTa's kind: {@code classifier.out_proj(activation(classifier.dense(h₀)))}. */
    static Head classifier(HeadActivation activation) {
      return new Head(false, "classifier.dense", "classifier.out_proj", activation);
    }
  }

  /** The activation between a head's two projections. */
  public enum HeadActivation {
    TANH,
    RELU,
    /** GELU with the exact erf (transformers' get_activation("gelu")). */
    GELU;

    NDArray apply(NDArray x) {
      return switch (this) {
        case TANH -> x.tanh();
        case RELU -> Activation.relu(x);
        case GELU -> Attention.gelu(x);
      };
    }
  }

  /** This family changed by {@code change}: what a family file states. */
  TextEncoderFamily with(UnaryOperator<Builder> change) {
    return change.apply(new Builder(this)).build();
  }

  /** The mutable copy a family file edits. */
  static final class Builder {
    private String modelType;
    private List<String> classNames;
    private Function<ObjectNode, ModelConfig> config;
    private String base;
    private EncoderLayer.Names names;
    private String intermediateKey;
    private String epsKey;
    private boolean tokenTypes;
    private Positions positions;
    private String embeddingSizeKey;
    private Head head;

    private Builder(TextEncoderFamily f) {
      modelType = f.modelType;
      classNames = f.classNames;
      config = f.config;
      base = f.base;
      names = f.names;
      intermediateKey = f.intermediateKey;
      epsKey = f.epsKey;
      tokenTypes = f.tokenTypes;
      positions = f.positions;
      embeddingSizeKey = f.embeddingSizeKey;
      head = f.head;
    }

    /** Another model type, its task and bare classes, config reader and weight prefix. */
    Builder named(
        String type,
        String task,
        String bare,
        Function<ObjectNode, ModelConfig> reader,
        String prefix) {
      this.modelType = type;
      this.classNames = List.of(task, bare);
      this.config = reader;
      this.base = prefix;
      return this;
    }

    /** Another layer naming, feed-forward width key and LayerNorm epsilon key (null: 1e-12). */
    Builder layers(EncoderLayer.Names layerNames, String intermediate, String eps) {
      this.names = layerNames;
      this.intermediateKey = intermediate;
      this.epsKey = eps;
      return this;
    }

    Builder withoutTokenTypes() {
      this.tokenTypes = false;
      return this;
    }

    Builder positions(Positions numbering) {
      this.positions = numbering;
      return this;
    }

    Builder embeddingSize(String key) {
      this.embeddingSizeKey = key;
      return this;
    }

    Builder head(Head classifier) {
      this.head = classifier;
      return this;
    }

    TextEncoderFamily build() {
      return new TextEncoderFamily(
          modelType,
          classNames,
          config,
          base,
          names,
          intermediateKey,
          epsKey,
          tokenTypes,
          positions,
          embeddingSizeKey,
          head);
    }
  }
}
