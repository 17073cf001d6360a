package io.headprune.jobs;

import io.headprune.checkpoint.Json;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.InvalidRequestException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;

/**
 * Labels of a model or dataset: string keys and values a pipeline finds its uploads by ({@code
 * team=nlp}, {@code run=2041}), as Kubernetes labels are: at most {@value #MAX} of them; a key is 1
 * to 63 letters, digits and {@code . _ - /}, starting with a letter or digit; a value at most 256
 * characters without control characters.
 */
final class ResourceLabels {

  static final int MAX = 32;
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,62}");
  private static final Pattern VALUE = Pattern.compile("[^\\p{Cntrl}]{0,256}");

  private ResourceLabels() {}

  /** The labels of a JSON object text (an upload's {@code labels} part), checked; null: none. */
  static Map<String, String> parse(String json) {
    if (json == null || json.isBlank()) {
      return Map.of();
    }
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(json);
    } catch (RuntimeException e) {
      throw new InvalidInputException("labels must be a JSON object of strings: " + e.getMessage());
    }
    return of(node, "labels");
  }

  /** The labels of a JSON object, checked; {@code what} names it in errors. */
  static Map<String, String> of(JsonNode node, String what) {
    if (node == null || !node.isObject()) {
      throw new InvalidInputException(what + " must be a JSON object of strings");
    }
    Map<String, String> labels = new TreeMap<>();
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      if (!entry.getValue().isString()) {
        throw new InvalidInputException(
            what + " '" + entry.getKey() + "' must be a string, not " + entry.getValue());
      }
      labels.put(entry.getKey(), entry.getValue().asString());
    }
    return checked(labels, what);
  }

  /** {@code labels} if every key and value is allowed and there are at most {@value #MAX}. */
  static Map<String, String> checked(Map<String, String> labels, String what) {
    if (labels.size() > MAX) {
      throw new InvalidInputException(
          what + ": " + labels.size() + " labels, at most " + MAX + " allowed");
    }
    labels.forEach(
        (key, value) -> {
          if (!KEY.matcher(key).matches()) {
            throw new InvalidInputException(
                what
                    + " key '"
                    + key
                    + "' must be 1 to 63 letters, digits and . _ - /, starting with a letter or"
                    + " digit");
          }
          if (!VALUE.matcher(value).matches()) {
            throw new InvalidInputException(
                what
                    + " '"
                    + key
                    + "': a value is at most 256 characters, none a control character");
          }
        });
    return Collections.unmodifiableSortedMap(new TreeMap<>(labels));
  }

  /** Filters {@code key=value} (repeatable query parameter) as labels every match must have. */
  static Map<String, String> selector(List<String> filters) {
    Map<String, String> wanted = new TreeMap<>();
    if (filters != null) {
      for (String filter : filters) {
        int at = filter.indexOf('=');
        if (at <= 0) {
          throw new InvalidRequestException(
              "label filter '" + filter + "' must be key=value (e.g. label=team=nlp)");
        }
        wanted.put(filter.substring(0, at), filter.substring(at + 1));
      }
    }
    try {
      return checked(wanted, "label filter");
    } catch (InvalidInputException e) { // a query parameter: the request's form, not its content
      throw new InvalidRequestException(e.getMessage());
    }
  }

  /** The stored form: a JSON object with sorted keys. */
  static String json(Map<String, String> labels) {
    return Json.MAPPER
        .writer()
        .without(SerializationFeature.INDENT_OUTPUT)
        .writeValueAsString(new TreeMap<>(labels));
  }

  /** Labels from their stored form. */
  @SuppressWarnings("unchecked")
  static Map<String, String> read(String json) {
    return json == null || json.isBlank()
        ? Map.of()
        : Collections.unmodifiableSortedMap(
            new TreeMap<String, String>(Json.MAPPER.readValue(json, Map.class)));
  }
}
