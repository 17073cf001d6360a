package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A parsed and validated Hugging Face {@code config.json} for an encoder model. The raw JSON is
 * kept so that a pruned model's config differs from its input only in {@code pruned_heads}.
 */
public record ModelConfig(
    String architecture,
    String modelType,
    int vocabSize,
    int hiddenSize,
    int layers,
    int attentionHeads,
    int intermediateSize,
    int maxPositions,
    int typeVocabSize,
    double layerNormEps,
    int padTokenId,
    Labels labels,
    Map<Integer, SortedSet<Integer>> prunedHeads,
    ObjectNode raw) {

  /** Upper bounds that keep a hostile config from asking for absurd allocations. */
  static final int MAX_DIMENSION = 1 << 16;

  static final int MAX_VOCAB = 4_000_000;

  public ModelConfig {
    Map<Integer, SortedSet<Integer>> copy = new TreeMap<>();
    prunedHeads.forEach((layer, heads) -> copy.put(layer, Collections.unmodifiableSortedSet(new TreeSet<>(heads))));
    prunedHeads = Collections.unmodifiableMap(copy);
  }

  /** Size of one attention head. */
  public int headSize() {
    return hiddenSize / attentionHeads;
  }

  /** Original indices of the heads layer {@code layer} still has. */
  public int[] remainingHeads(int layer) {
    SortedSet<Integer> pruned = prunedHeads.getOrDefault(layer, Collections.emptySortedSet());
    return java.util.stream.IntStream.range(0, attentionHeads).filter(h -> !pruned.contains(h)).toArray();
  }

  /** Reads {@code dir/config.json}. */
  public static ModelConfig read(Path dir) {
    Path file = dir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("model directory has no config.json");
    }
    try {
      return parse(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new InvalidInputException("cannot read config.json: " + e.getMessage());
    }
  }

  /** Parses config.json bytes. */
  public static ModelConfig parse(byte[] bytes) {
    JsonNode node = Json.parse(bytes, "config.json");
    if (!node.isObject()) {
      throw new InvalidInputException("config.json is not a JSON object");
    }
    ObjectNode raw = (ObjectNode) node;
    String modelType = raw.path("model_type").asString("");
    if (!ARCHITECTURES.containsKey(modelType)) {
      throw new UnsupportedModelException(
          "config.json: model_type '" + modelType + "' is not supported (supported: bert, roberta, distilbert)");
    }
    String architecture = architecture(raw, modelType);
    boolean distil = modelType.equals("distilbert");
    // DistilBERT's config names the same dimensions differently
    String hiddenKey = distil ? "dim" : "hidden_size";
    String headsKey = distil ? "n_heads" : "num_attention_heads";
    int hidden = positive(raw, hiddenKey, MAX_DIMENSION);
    int heads = positive(raw, headsKey, 1024);
    if (hidden % heads != 0) {
      throw new InvalidInputException(
          "config.json: " + hiddenKey + " " + hidden + " is not divisible by " + headsKey + " " + heads);
    }
    int layers = positive(raw, distil ? "n_layers" : "num_hidden_layers", 1024);
    String activationKey = distil ? "activation" : "hidden_act";
    String activation = raw.path(activationKey).asString("gelu");
    if (!activation.equals("gelu")) {
      throw new UnsupportedModelException(
          "config.json: " + activationKey + " '" + activation + "' is not supported (gelu)");
    }
    String positions = raw.path("position_embedding_type").asString("absolute");
    if (!positions.equals("absolute")) {
      throw new UnsupportedModelException(
          "config.json: position_embedding_type '" + positions + "' is not supported (absolute)");
    }
    if ("multi_label_classification".equals(raw.path("problem_type").asString(""))) {
      throw new UnsupportedModelException("config.json: problem_type multi_label_classification is not supported "
          + "(headprune scores single-label classification and regression heads)");
    }
    return new ModelConfig(
        architecture,
        modelType,
        positive(raw, "vocab_size", MAX_VOCAB),
        hidden,
        layers,
        heads,
        positive(raw, distil ? "hidden_dim" : "intermediate_size", 4 * MAX_DIMENSION),
        positive(raw, "max_position_embeddings", MAX_DIMENSION),
        distil ? 1 : optionalPositive(raw, "type_vocab_size", 2, 1024),
        distil ? 1e-12 : raw.path("layer_norm_eps").asDouble(1e-12),
        raw.path("pad_token_id").asInt(modelType.equals("roberta") ? 1 : 0),
        labels(raw),
        prunedHeads(raw, layers, heads),
        raw);
  }

  /** Architectures by model_type: the classification model first, then the bare encoder. */
  private static final Map<String, List<String>> ARCHITECTURES = Map.of(
      "bert", List.of("BertForSequenceClassification", "BertModel"),
      "roberta", List.of("RobertaForSequenceClassification", "RobertaModel"),
      "distilbert", List.of("DistilBertForSequenceClassification", "DistilBertModel"));

  private static String architecture(ObjectNode raw, String modelType) {
    List<String> supported = ARCHITECTURES.get(modelType);
    JsonNode list = raw.get("architectures");
    String name = list != null && list.isArray() && !list.isEmpty() ? list.get(0).asString("") : supported.get(1);
    if (!supported.contains(name)) {
      throw new UnsupportedModelException(
          "config.json: architecture '" + name + "' is not supported " + supported);
    }
    return name;
  }

  /** True for a model with a sequence-classification (or regression) head. */
  public boolean hasTaskHead() {
    return architecture.endsWith("ForSequenceClassification");
  }

  private static Labels labels(ObjectNode raw) {
    Map<Integer, String> idToLabel = new HashMap<>();
    JsonNode id2label = raw.get("id2label");
    if (id2label != null && id2label.isObject()) {
      for (Map.Entry<String, JsonNode> entry : id2label.properties()) {
        try {
          idToLabel.put(Integer.parseInt(entry.getKey()), entry.getValue().asString());
        } catch (NumberFormatException e) {
          throw new InvalidInputException("config.json: id2label key '" + entry.getKey() + "' is not an integer");
        }
      }
    }
    Map<String, Integer> labelToId = new HashMap<>();
    JsonNode label2id = raw.get("label2id");
    if (label2id != null && label2id.isObject()) {
      for (Map.Entry<String, JsonNode> entry : label2id.properties()) {
        if (!entry.getValue().isIntegralNumber()) {
          throw new InvalidInputException("config.json: label2id value of '" + entry.getKey() + "' is not an integer");
        }
        labelToId.put(entry.getKey(), entry.getValue().asInt());
      }
    }
    int count = !idToLabel.isEmpty() ? idToLabel.size() : raw.path("num_labels").asInt(2);
    if (count > 100_000) {
      throw new InvalidInputException("config.json: " + count + " labels is more than headprune accepts (100000)");
    }
    JsonNode problem = raw.get("problem_type");
    return new Labels(count, idToLabel, labelToId, problem != null && problem.isString() ? problem.stringValue() : null);
  }

  private static Map<Integer, SortedSet<Integer>> prunedHeads(ObjectNode raw, int layers, int heads) {
    Map<Integer, SortedSet<Integer>> pruned = new TreeMap<>();
    JsonNode node = raw.get("pruned_heads");
    if (node == null || node.isNull()) {
      return pruned;
    }
    if (!node.isObject()) {
      throw new InvalidInputException("config.json: pruned_heads is not an object of layer -> head list");
    }
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      int layer;
      try {
        layer = Integer.parseInt(entry.getKey());
      } catch (NumberFormatException e) {
        throw new InvalidInputException("config.json: pruned_heads key '" + entry.getKey() + "' is not a layer index");
      }
      if (layer < 0 || layer >= layers || !entry.getValue().isArray()) {
        throw new InvalidInputException("config.json: pruned_heads entry for layer " + entry.getKey() + " is invalid");
      }
      SortedSet<Integer> set = new TreeSet<>();
      for (JsonNode head : entry.getValue()) {
        if (!head.isIntegralNumber() || head.asInt() < 0 || head.asInt() >= heads) {
          throw new InvalidInputException(
              "config.json: pruned_heads layer " + layer + " names head " + head + ", outside [0, " + (heads - 1) + "]");
        }
        set.add(head.asInt());
      }
      if (set.size() == heads) {
        throw new InvalidInputException("config.json: pruned_heads removes every head of layer " + layer);
      }
      if (!set.isEmpty()) {
        pruned.put(layer, set);
      }
    }
    return pruned;
  }

  private static int positive(ObjectNode raw, String key, int max) {
    JsonNode value = raw.get(key);
    if (value == null || !value.isIntegralNumber()) {
      throw new InvalidInputException("config.json: " + key + " is missing or not an integer");
    }
    return bounded(key, value.asLong(), max);
  }

  private static int optionalPositive(ObjectNode raw, String key, int fallback, int max) {
    JsonNode value = raw.get(key);
    if (value == null) {
      return fallback;
    }
    if (!value.isIntegralNumber()) {
      throw new InvalidInputException("config.json: " + key + " is not an integer");
    }
    return bounded(key, value.asLong(), max);
  }

  private static int bounded(String key, long value, int max) {
    if (value < 1 || value > max) {
      throw new InvalidInputException("config.json: " + key + " = " + value + " is outside [1, " + max + "]");
    }
    return (int) value;
  }
}
