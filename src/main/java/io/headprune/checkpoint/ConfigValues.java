package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Strict readers for {@code config.json} values, shared by the architecture descriptions: each
 * names the key it reads in its messages and bounds what a hostile config may ask for.
 */
public final class ConfigValues {

  /** Upper bound of any dimension (hidden size, positions, image size). */
  public static final int MAX_DIMENSION = 1 << 16;

  /** Upper bound of a vocabulary. */
  public static final int MAX_VOCAB = 4_000_000;

  private ConfigValues() {}

  /** Reads {@code dir/config.json} as a JSON object. */
  public static ObjectNode read(Path dir) {
    Path file = dir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("model directory has no config.json");
    }
    try {
      return parse(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new InvalidInputException(
          "cannot read config.json: " + InvalidInputException.plain(e.getMessage()));
    }
  }

  /** Parses config.json bytes as a JSON object. */
  public static ObjectNode parse(byte[] bytes) {
    JsonNode node = Json.parse(bytes, "config.json");
    if (!node.isObject()) {
      throw new InvalidInputException("config.json is not a JSON object");
    }
    return (ObjectNode) node;
  }

  /** A required integer in [1, max]. */
  public static int positive(ObjectNode raw, String key, int max) {
    JsonNode value = raw.get(key);
    if (value == null || !value.isIntegralNumber()) {
      throw new InvalidInputException("config.json: " + key + " is missing or not an integer");
    }
    return bounded(key, value.asLong(), max);
  }

  /** An optional integer in [1, max], {@code fallback} when absent. */
  public static int optionalPositive(ObjectNode raw, String key, int fallback, int max) {
    JsonNode value = raw.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isIntegralNumber()) {
      throw new InvalidInputException("config.json: " + key + " is not an integer");
    }
    return bounded(key, value.asLong(), max);
  }

  /**
   * An optional token id (such as {@code pad_token_id}) in [0, {@code vocabulary}), {@code
   * fallback} when absent: an id outside the embedding table is refused by name here rather than
   * failing the engine later.
   */
  public static int tokenId(ObjectNode raw, String key, int fallback, int vocabulary) {
    JsonNode value = raw.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isIntegralNumber()) {
      throw new InvalidInputException("config.json: " + key + " is not an integer");
    }
    if (value.asLong() < 0 || value.asLong() >= vocabulary) {
      throw new InvalidInputException(
          "config.json: "
              + key
              + " "
              + value.asString()
              + " is not a token id of the vocabulary (vocab_size "
              + vocabulary
              + ")");
    }
    return value.asInt();
  }

  /**
   * The width {@code hiddenKey} and the head count {@code headsKey} of an architecture whose heads
   * split the width evenly: both read and checked, returned as {width, heads}.
   */
  public static int[] evenHeads(ObjectNode raw, String hiddenKey, String headsKey) {
    int hidden = positive(raw, hiddenKey, MAX_DIMENSION);
    int heads = positive(raw, headsKey, 1024);
    if (hidden % heads != 0) {
      throw new InvalidInputException(
          "config.json: "
              + hiddenKey
              + " "
              + hidden
              + " is not divisible by "
              + headsKey
              + " "
              + heads);
    }
    return new int[] {hidden, heads};
  }

  /** An optional positive finite number, {@code fallback} when absent. */
  public static double optionalPositiveNumber(ObjectNode raw, String key, double fallback) {
    JsonNode value = raw.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isNumber() || !Double.isFinite(value.asDouble()) || value.asDouble() <= 0) {
      throw new InvalidInputException(
          "config.json: " + key + " must be a positive number, got " + value);
    }
    return value.asDouble();
  }

  /** An optional boolean, {@code fallback} when absent. */
  public static boolean optionalBoolean(ObjectNode raw, String key, boolean fallback) {
    JsonNode value = raw.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw new InvalidInputException(
          "config.json: " + key + " must be true or false, got " + value);
    }
    return value.asBoolean();
  }

  /** An optional string that must be one of {@code supported}; anything else is refused by name. */
  public static String oneOf(ObjectNode raw, String key, String fallback, String... supported) {
    JsonNode value = raw.get(key);
    String text = value == null || value.isNull() ? fallback : value.asString("");
    for (String allowed : supported) {
      if (allowed.equals(text)) {
        return text;
      }
    }
    throw new UnsupportedModelException(
        "config.json: "
            + key
            + " '"
            + text
            + "' is not supported ("
            + String.join(", ", supported)
            + ")");
  }

  /** The head's label space: id2label, label2id, num_labels, problem_type. */
  public static Labels labels(ObjectNode raw) {
    if ("multi_label_classification".equals(raw.path("problem_type").asString(""))) {
      throw new UnsupportedModelException(
          "config.json: problem_type multi_label_classification is not supported "
              + "(headprune scores single-label classification and regression heads)");
    }
    Map<Integer, String> idToLabel = new HashMap<>();
    JsonNode id2label = raw.get("id2label");
    if (id2label != null && id2label.isObject()) {
      for (Map.Entry<String, JsonNode> entry : id2label.properties()) {
        if (!entry.getValue().isString() && !entry.getValue().isNumber()) {
          throw new InvalidInputException(
              "config.json: id2label value of '" + entry.getKey() + "' is not a label name");
        }
        try {
          idToLabel.put(Integer.parseInt(entry.getKey()), entry.getValue().asString());
        } catch (NumberFormatException e) {
          throw new InvalidInputException(
              "config.json: id2label key '" + entry.getKey() + "' is not an integer");
        }
      }
    }
    Map<String, Integer> labelToId = new HashMap<>();
    JsonNode label2id = raw.get("label2id");
    if (label2id != null && label2id.isObject()) {
      for (Map.Entry<String, JsonNode> entry : label2id.properties()) {
        if (!entry.getValue().isIntegralNumber()) {
          throw new InvalidInputException(
              "config.json: label2id value of '" + entry.getKey() + "' is not an integer");
        }
        labelToId.put(entry.getKey(), entry.getValue().asInt());
      }
    }
    int count = !idToLabel.isEmpty() ? idToLabel.size() : raw.path("num_labels").asInt(2);
    if (count > 100_000) {
      throw new InvalidInputException(
          "config.json: " + count + " labels is more than headprune accepts (100000)");
    }
    JsonNode problem = raw.get("problem_type");
    return new Labels(
        count,
        idToLabel,
        labelToId,
        problem != null && problem.isString() ? problem.stringValue() : null);
  }

  /** {@code pruned_heads}: layer → original head indices, checked against the model's shape. */
  public static Map<Integer, SortedSet<Integer>> prunedHeads(
      ObjectNode raw, int layers, int heads) {
    Map<Integer, SortedSet<Integer>> pruned = new TreeMap<>();
    JsonNode node = raw.get("pruned_heads");
    if (node == null || node.isNull()) {
      return pruned;
    }
    if (!node.isObject()) {
      throw new InvalidInputException(
          "config.json: pruned_heads is not an object of layer -> head list");
    }
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      int layer;
      try {
        layer = Integer.parseInt(entry.getKey());
      } catch (NumberFormatException e) {
        throw new InvalidInputException(
            "config.json: pruned_heads key '" + entry.getKey() + "' is not a layer index");
      }
      if (layer < 0 || layer >= layers || !entry.getValue().isArray()) {
        throw new InvalidInputException(
            "config.json: pruned_heads entry for layer " + entry.getKey() + " is invalid");
      }
      SortedSet<Integer> set = new TreeSet<>();
      for (JsonNode head : entry.getValue()) {
        if (!head.isIntegralNumber() || head.asInt() < 0 || head.asInt() >= heads) {
          throw new InvalidInputException(
              "config.json: pruned_heads layer "
                  + layer
                  + " names head "
                  + head
                  + ", outside [0, "
                  + (heads - 1)
                  + "]");
        }
        set.add(head.asInt());
      }
      if (set.size() == heads) {
        throw new InvalidInputException(
            "config.json: pruned_heads removes every head of layer " + layer);
      }
      if (!set.isEmpty()) {
        pruned.put(layer, set);
      }
    }
    return pruned;
  }

  private static int bounded(String key, long value, int max) {
    if (value < 1 || value > max) {
      throw new InvalidInputException(
          "config.json: " + key + " = " + value + " is outside [1, " + max + "]");
    }
    return (int) value;
  }
}
